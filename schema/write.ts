/**
 * `npm run schema`: regenerates schema.json, the committed Pulumi package schema. Run it
 * after changing a component's args or outputs; test/schema/schema.test.ts fails while
 * the committed file is stale, so the API change shows in review.
 */
import { writeFileSync } from "node:fs";
import { generateSchema, PACKAGE_ROOT, schemaText } from "./generateSchema.js";

const schema = await generateSchema();
writeFileSync(`${PACKAGE_ROOT}schema.json`, schemaText(schema));
console.error(
  `schema.json: ${Object.keys(schema.resources).length} components, ${Object.keys(schema.types).length} types`,
);
