import { createInterface } from "node:readline";
import { CliError } from "./cli-support.js";

/** Reads a line from a terminal without echoing it; Ctrl-C or Ctrl-D on an empty line cancels. */
function promptHidden(input: NodeJS.ReadStream, output: NodeJS.WriteStream): Promise<string> {
  output.write("password: ");
  input.setRawMode(true);
  input.setEncoding("utf8");
  input.resume();
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = (result: string | undefined) => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      output.write("\n");
      if (result === undefined) reject(new CliError("cancelled"));
      else resolve(result);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === "\r" || char === "\n") return finish(value);
        if (char === "\u0003" || (char === "\u0004" && value === "")) return finish(undefined);
        if (char === "\u007f" || char === "\b") value = [...value].slice(0, -1).join("");
        else value += char;
      }
    };
    input.on("data", onData);
  });
}

/**
 * The first line of standard input, without its line ending: a pipe (`echo "$PW" | …`), a file, or
 * a hidden prompt on a terminal. Undefined when the input ends before a line. The password is never
 * taken from a flag, where it would land in the shell history and the process list.
 */
export async function readPassword(input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr) {
  if (input.isTTY) return promptHidden(input, output);
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY, terminal: false });
  try {
    for await (const line of lines) return line;
    return undefined;
  } finally {
    lines.close();
    input.destroy();
  }
}
