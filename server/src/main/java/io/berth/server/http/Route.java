package io.berth.server.http;

/**
 * Where a request under {@code /v2/} goes. Repository names contain slashes, so routes are recognised from the
 * end of the path: the last segment is the reference, the one before it the endpoint word, everything before
 * that the repository name (validated later against the spec grammar).
 *
 * @param name      repository name, null for base and catalog
 * @param reference the tag, digest or upload id after the endpoint word, null when none
 */
public record Route(Endpoint endpoint, String name, String reference) {

    public enum Endpoint { BASE, CATALOG, TAGS, MANIFEST, BLOB, UPLOAD_START, UPLOAD, REFERRERS, UNKNOWN }

    private static final String PREFIX = "/v2/";
    private static final Route BASE = new Route(Endpoint.BASE, null, null);
    private static final Route CATALOG = new Route(Endpoint.CATALOG, null, null);
    private static final Route UNKNOWN = new Route(Endpoint.UNKNOWN, null, null);

    public static Route of(String path) {
        if (path.equals("/v2") || path.equals(PREFIX)) {
            return BASE;
        }
        if (!path.startsWith(PREFIX)) {
            return UNKNOWN;
        }
        String rest = path.substring(PREFIX.length());
        if (rest.equals("_catalog")) {
            return CATALOG;
        }
        int lastSlash = rest.lastIndexOf('/');
        if (lastSlash <= 0) {
            return UNKNOWN;
        }
        String reference = rest.substring(lastSlash + 1);
        String head = rest.substring(0, lastSlash);
        int wordSlash = head.lastIndexOf('/');
        if (wordSlash <= 0) {
            return UNKNOWN;
        }
        String name = head.substring(0, wordSlash);
        String word = head.substring(wordSlash + 1);
        return switch (word) {
            case "manifests" -> withReference(Endpoint.MANIFEST, name, reference);
            case "referrers" -> withReference(Endpoint.REFERRERS, name, reference);
            case "blobs" -> reference.equals("uploads")
                    ? new Route(Endpoint.UPLOAD_START, name, null)
                    : withReference(Endpoint.BLOB, name, reference);
            case "uploads" -> uploads(name, reference);
            case "tags" -> reference.equals("list") ? new Route(Endpoint.TAGS, name, null) : UNKNOWN;
            default -> UNKNOWN;
        };
    }

    /** {@code <name>/blobs/uploads/} starts a session, {@code <name>/blobs/uploads/<id>} is one. */
    private static Route uploads(String nameAndBlobs, String id) {
        if (!nameAndBlobs.endsWith("/blobs") || nameAndBlobs.length() == "/blobs".length()) {
            return UNKNOWN;
        }
        String name = nameAndBlobs.substring(0, nameAndBlobs.length() - "/blobs".length());
        return id.isEmpty() ? new Route(Endpoint.UPLOAD_START, name, null) : new Route(Endpoint.UPLOAD, name, id);
    }

    private static Route withReference(Endpoint endpoint, String name, String reference) {
        return reference.isEmpty() ? UNKNOWN : new Route(endpoint, name, reference);
    }
}
