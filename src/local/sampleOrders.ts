/**
 * The demo's source table: sales.orders with a bigint key, numeric(12,2), text (some of it
 * beyond the Basic Multilingual Plane), timestamptz and boolean, with NULLs sprinkled in.
 * Generated inside the database so a million rows take seconds, not a bulk load.
 */
export const sampleOrdersSql = (rows: number) => `
CREATE SCHEMA IF NOT EXISTS sales;
DROP TABLE IF EXISTS sales.orders;
CREATE TABLE sales.orders (
  id          bigint PRIMARY KEY,
  amount      numeric(12,2),
  customer    text,
  created_at  timestamptz,
  paid        boolean NOT NULL
);
INSERT INTO sales.orders
SELECT g,
       CASE WHEN g % 20 = 0 THEN NULL ELSE round(((g * 7919) % 10000000) / 100.0 - 25000, 2) END,
       CASE WHEN g % 33 = 0 THEN NULL WHEN g % 7 = 0 THEN 'Zoë 🚀 #' || (g % 5000) ELSE 'customer ' || (g % 5000) END,
       CASE WHEN g % 50 = 0 THEN NULL ELSE timestamptz '2024-01-01 00:00:00+00' + (g * 31) * interval '1 second' + (g % 1000000) * interval '1 microsecond' END,
       g % 3 = 0
  FROM generate_series(1::bigint, ${rows}::bigint) AS g;
ANALYZE sales.orders;
`;
