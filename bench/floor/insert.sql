-- pgbench script of the PostgreSQL floor: one single-row insert per transaction, into
-- the floor app's own table (bench/floor/app.py creates it).
INSERT INTO floor_items (id, title, created_at) VALUES (gen_random_uuid()::text, 'pgbench', now());
