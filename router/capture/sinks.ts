/**
 * Where a capture writer appends its JSON Lines: append blobs in a storage container
 * (the cluster's `modeldata`, with the router's workload identity; or any account by
 * connection string, e.g. Azurite), or files under a local directory (`aksml local`).
 * Same names either way (blobLayout.ts).
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { BlobServiceClient, ContainerClient, RestError } from "@azure/storage-blob";
import type { TokenCredential } from "@azure/identity";
import { credential } from "../fetchModel/command.js";

/**
 * Where a sink writes, as plain data: what another data-path thread builds its own sink
 * from (a sink object cannot cross to a worker thread). The environment's choices
 * (router/config.ts `modelData`).
 */
export type CaptureDestination =
  | { containerUrl: string }
  | { connectionString: string; container: string }
  | { dir: string };

export interface CaptureSink {
  /**
   * Appends whole lines to `name`. `offset` is how many bytes this writer appended to it
   * before: a retried append that already landed is recognised and not written twice.
   * `data` is the writer's reused buffer: valid until the returned promise settles (copy
   * it to keep it).
   */
  append(name: string, data: Buffer, offset: number): Promise<void>;
  /** Where the data lands, for the startup log line. */
  readonly description: string;
  /** How to build the same sink in a worker thread; absent: this sink serves the main thread only. */
  readonly destination?: CaptureDestination;
}

/** The sink a destination names (the cluster's container with the pod's identity, by default). */
export function sinkFor(destination: CaptureDestination | undefined): CaptureSink | undefined {
  if (!destination) return undefined;
  if ("containerUrl" in destination) return BlobCaptureSink.withCredential(destination.containerUrl, credential());
  if ("connectionString" in destination)
    return BlobCaptureSink.fromConnectionString(destination.connectionString, destination.container);
  return new DirectoryCaptureSink(destination.dir);
}

/** A destination for logs, never with a connection string's key. */
export function describeDestination(d: CaptureDestination): string {
  if ("containerUrl" in d) return d.containerUrl;
  if ("dir" in d) return d.dir;
  const field = (name: string) => new RegExp(`(?:^|;)\\s*${name}=([^;]+)`, "i").exec(d.connectionString)?.[1];
  const endpoint = field("BlobEndpoint") ?? `https://${field("AccountName") ?? "?"}.blob.core.windows.net`;
  return `${endpoint.replace(/\/+$/, "")}/${d.container}`;
}

/** Per request to storage: a hung connection must not hold the writer (it retries with back-off). */
const STORAGE_TRY_TIMEOUT_MS = 30_000;

export class BlobCaptureSink implements CaptureSink {
  private readonly created = new Set<string>();
  readonly description: string;

  constructor(
    private readonly container: ContainerClient,
    readonly destination?: CaptureDestination,
  ) {
    this.description = container.url;
  }

  /** The cluster's container, by URL, with the router's Azure identity (workload identity). */
  static withCredential(containerUrl: string, credential: TokenCredential): BlobCaptureSink {
    return new BlobCaptureSink(
      new ContainerClient(containerUrl, credential, {
        retryOptions: { maxTries: 1, tryTimeoutInMs: STORAGE_TRY_TIMEOUT_MS },
      }),
      { containerUrl },
    );
  }

  /** Any account by connection string (Azurite, a developer's account). */
  static fromConnectionString(connectionString: string, containerName: string): BlobCaptureSink {
    const service = BlobServiceClient.fromConnectionString(connectionString, {
      retryOptions: { maxTries: 1, tryTimeoutInMs: STORAGE_TRY_TIMEOUT_MS },
    });
    return new BlobCaptureSink(service.getContainerClient(containerName), {
      connectionString,
      container: containerName,
    });
  }

  /** Creates the container if missing (a connection string can; the router's identity cannot). */
  async ensureContainer(): Promise<void> {
    await this.container.createIfNotExists();
  }

  async append(name: string, data: Buffer, offset: number): Promise<void> {
    const blob = this.container.getAppendBlobClient(name);
    if (!this.created.has(name)) {
      await blob.createIfNotExists();
      this.created.add(name);
    }
    try {
      await blob.appendBlock(data, data.length, { conditions: { appendPosition: offset } });
    } catch (e) {
      if (!(e instanceof RestError)) throw e;
      if (e.statusCode === 412) {
        // The append position moved: an earlier try of this very block landed (its answer was lost).
        const { contentLength = 0 } = await blob.getProperties();
        if (contentLength === offset + data.length) return;
      }
      if (e.statusCode === 404) this.created.delete(name);
      throw e;
    }
  }
}

export class DirectoryCaptureSink implements CaptureSink {
  private readonly made = new Set<string>();
  readonly description: string;
  readonly destination: CaptureDestination;

  constructor(private readonly root: string) {
    this.description = root;
    this.destination = { dir: root };
  }

  /**
   * Written synchronously: this sink always runs on a capture writer thread (it has a
   * `destination`), whose turns no request waits for, so the file writes run there at the
   * writer's lower priority instead of on libuv's threadpool, which the whole process
   * shares at normal priority. A failure still rejects (and is retried with back-off).
   */
  async append(name: string, data: Buffer): Promise<void> {
    const path = join(this.root, name);
    const dir = dirname(path);
    if (!this.made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.made.add(dir);
    }
    appendFileSync(path, data);
  }
}
