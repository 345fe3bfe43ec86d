import { appendFileSync } from "node:fs";

let file;

export function initialize(data) {
  file = data.file;
}

const BARE = /^(?![./]|node:|file:|data:)/;

export async function resolve(specifier, context, next) {
  if (file && BARE.test(specifier)) appendFileSync(file, `${specifier}\n`);
  return next(specifier, context);
}
