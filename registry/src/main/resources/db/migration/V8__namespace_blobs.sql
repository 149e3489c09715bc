-- Each blob linked under a namespace (a repository name's prefix up to a '/', at every depth: 'team/' and
-- 'team/app/' for 'team/app/web'; and '', the whole registry), with how many of the namespace's repositories link it;
-- kept by every write that adds or removes a link, in its transaction. A namespace's usage sums its rows: each blob
-- once, however many of its repositories share it, without grouping all their links.
CREATE TABLE namespace_blobs (
    namespace VARCHAR(255) ${binary} NOT NULL,
    digest VARCHAR(200) NOT NULL,
    size BIGINT NOT NULL,
    links BIGINT NOT NULL,
    PRIMARY KEY (namespace, digest)
);

INSERT INTO namespace_blobs (namespace, digest, size, links)
WITH RECURSIVE prefixes (repository_id, namespace, rest) AS (
    SELECT id, CAST('' AS TEXT) ${binary}, CAST(name AS TEXT) ${binary} FROM repositories
    UNION ALL
    SELECT repository_id, namespace || substr(rest, 1, ${position}(rest, '/')), substr(rest, ${position}(rest, '/') + 1)
    FROM prefixes WHERE ${position}(rest, '/') > 0
)
SELECT p.namespace, rb.digest, MAX(rb.size), COUNT(*)
FROM prefixes p JOIN repository_blobs rb ON rb.repository_id = p.repository_id
GROUP BY p.namespace, rb.digest;

-- A namespace's bytes, summed from this index alone.
CREATE INDEX namespace_blobs_sizes ON namespace_blobs (namespace, size);
