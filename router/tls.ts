/**
 * TLS material for the HTTPS data port: PEM certificate chain and private key read
 * from files (a mounted Kubernetes Secret), re-read when either file changes and
 * swapped in with setSecureContext, so a renewed certificate needs no restart.
 * Polling (fs.watchFile) rather than fs.watch: Secret volumes update by swapping a
 * symlinked directory, which inotify on the file path does not report reliably. The main
 * thread watches and every data-path worker gets the new pair. The
 * kubelet publishes a renewal (cert-manager's, for instance) by renaming a new `..data`
 * symlink over the old one; `<key> -> ..data/<key>` stays, but the poll stats through
 * the links and sees the new file's inode (test/router/tlsRenewal.test.ts does the swap).
 */
import { readFileSync, watchFile, unwatchFile } from "node:fs";
import { createSecureContext } from "node:tls";
import type { Logger } from "./log.js";

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface PemPair {
  cert: Buffer;
  key: Buffer;
}

/** Reads and checks the pair (createSecureContext fails on a key that does not match the certificate). */
export function loadPemPair(files: TlsFiles): PemPair {
  const pair = { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) };
  createSecureContext(pair);
  return pair;
}

/**
 * Starts polling; a changed pair that loads is handed to `use` (the data-path workers'
 * setSecureContext). Returns the function that stops it.
 */
export function watchTlsFiles(
  files: TlsFiles,
  use: (pair: PemPair) => void,
  log: Logger,
  intervalMs = 2000,
): () => void {
  let reloadPending: NodeJS.Timeout | undefined;
  const reload = () => {
    // Cert and key are usually replaced together; wait for both writes to land.
    clearTimeout(reloadPending);
    reloadPending = setTimeout(() => {
      try {
        use(loadPemPair(files));
        log.info({ certFile: files.certFile }, "TLS certificate reloaded");
      } catch (e) {
        log.error(
          { certFile: files.certFile, err: (e as Error).message },
          "TLS certificate reload failed; keeping the previous certificate",
        );
      }
    }, 100);
  };
  const listener = (curr: { mtimeMs: number; ino: number }, prev: { mtimeMs: number; ino: number }) => {
    if (curr.mtimeMs !== prev.mtimeMs || curr.ino !== prev.ino) reload();
  };
  watchFile(files.certFile, { interval: intervalMs, persistent: false }, listener);
  watchFile(files.keyFile, { interval: intervalMs, persistent: false }, listener);
  return () => {
    clearTimeout(reloadPending);
    unwatchFile(files.certFile, listener);
    unwatchFile(files.keyFile, listener);
  };
}
