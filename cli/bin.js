#!/usr/bin/env node
// Installed entry point: runs the TypeScript CLI through tsx.
import "tsx";
await import("./main.ts");
