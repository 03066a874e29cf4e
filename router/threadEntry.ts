/**
 * The entry of a worker thread started from one of the router's modules: the compiled
 * module next to the caller, or under tsx/vitest the TypeScript source, loaded through
 * tsx in the thread too.
 */
export function threadEntry(callerUrl: string, module: string): { url: URL; execArgv: string[] | undefined } {
  const fromSource = callerUrl.endsWith(".ts");
  const hasTsx = process.execArgv.some((a) => a.startsWith("tsx"));
  return {
    url: new URL(`./${module}${fromSource ? ".ts" : ".js"}`, callerUrl),
    execArgv: fromSource && !hasTsx ? [...process.execArgv, "--import", "tsx/esm"] : undefined,
  };
}
