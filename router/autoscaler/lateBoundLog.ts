/**
 * Backends and elections are built before the router (and its logger) exist and
 * start logging while it starts; this forwards to the router's logger once bound,
 * and until then writes warnings (and, if asked, info) as JSON lines on stderr.
 */
export interface ControlLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export class LateBoundLog implements ControlLog {
  target?: ControlLog;

  constructor(private readonly earlyInfo = true) {}

  info(obj: object, msg: string): void {
    if (this.target) this.target.info(obj, msg);
    else if (this.earlyInfo) process.stderr.write(`${JSON.stringify({ level: "info", ...obj, msg })}\n`);
  }

  warn(obj: object, msg: string): void {
    if (this.target) this.target.warn(obj, msg);
    else process.stderr.write(`${JSON.stringify({ level: "warn", ...obj, msg })}\n`);
  }
}
