/** What an account may do; `schema.graphql`'s `enum Role` lists the same names. */
export const ROLES = ["USER", "ADMIN"] as const;

export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return ROLES.includes(value as Role);
}
