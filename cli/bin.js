#!/usr/bin/env node
// Installed entry point: runs the TypeScript CLI through tsx.
import "tsx/esm";
await import("./main.ts");
