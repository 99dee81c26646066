-- Long URLs could not be shortened on PostgreSQL: a btree entry holds at most 2,704 bytes and the
-- (cliente_id, long_url) keys held the whole URL. A 2,048-character catalog URL in a non-Latin
-- script is up to 8 KB with its UTM parameters, so the reply's transaction failed, and the batch
-- with it, on every retry. The keys now hold the URL's SHA-256; lookups also compare the full URL.
-- convert_to is only STABLE (encodings are catalog data), but with a fixed target encoding its
-- result never changes for a given database, which is what an index needs.
CREATE FUNCTION liora_url_key(p_url text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT pg_catalog.sha256(pg_catalog.convert_to(p_url, 'UTF8')) $$;

ALTER TABLE short_links DROP CONSTRAINT short_links_cliente_id_long_url_key;
CREATE UNIQUE INDEX short_links_url_key ON short_links (cliente_id, liora_url_key(long_url));

ALTER TABLE external_links DROP CONSTRAINT external_links_pkey;
CREATE UNIQUE INDEX external_links_url_key ON external_links (cliente_id, provider, liora_url_key(long_url));
