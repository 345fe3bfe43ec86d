import { type Server, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { errorBody } from "./json-errors.js";

/**
 * Requests Node's HTTP parser refuses before Express sees them (oversized headers such as a 100 KB
 * bearer token, malformed request lines) get the same JSON error shape as every other refusal,
 * instead of Node's bare status line. The raw packet is never logged: it may hold a token.
 */
export function answerClientErrorsWithJson(server: Server, logger: Logger): void {
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    const message = status === 431 ? "Request headers too large" : status === 408 ? "Request timeout" : "Bad request";
    logger.debug({ code: error.code, status }, "refused a request the HTTP parser could not read");
    const body = JSON.stringify(errorBody(message, "BAD_REQUEST"));
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
