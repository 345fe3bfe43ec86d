// Preloaded with `node --import`: records every bare package name the process imports, one per
// line, in the file named by IMPORT_LOG. Used to check what a server never loads.
import { register } from "node:module";

register("./import-log-hooks.mjs", import.meta.url, { data: { file: process.env.IMPORT_LOG } });
