/**
 * Largest value a Postgres `integer` (int4) column holds: the ceiling of any integer a
 * client sends that is stored in, or compared with, such a column (bigint columns take
 * INT64_MAX). Past it Postgres refuses the query, which would be a 500.
 */
export const INT32_MAX = 2_147_483_647;
