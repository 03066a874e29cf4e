/**
 * The package entry (`import ... from "aksml"`, compiled to dist/index.js): the five
 * components and their argument types. It is also the entry Pulumi's component provider
 * host runs for `pulumi package add` (package.json `main`), and the file its schema
 * analyzer starts from (it falls back to a root index.ts when `main` names compiled
 * JavaScript), so every exported ComponentResource becomes a resource in schema.json.
 */
export * from "./components/index.js";
