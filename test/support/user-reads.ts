import type { TestServer } from "./test-server.js";

/**
 * Runs `work` and counts the user reads the server makes meanwhile through its user service
 * (`users.findById`), for tests of which requests read the user and which do not.
 */
export async function userReadsDuring<T>(server: TestServer, work: () => Promise<T>): Promise<{ reads: number; result: T }> {
  const users = server.app.services.users;
  const findById = users.findById;
  let reads = 0;
  users.findById = (id) => {
    reads += 1;
    return findById.call(users, id);
  };
  try {
    const result = await work();
    return { reads, result };
  } finally {
    users.findById = findById;
  }
}
