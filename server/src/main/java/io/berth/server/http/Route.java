package io.berth.server.http;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a request under {@code /v2/} goes. Repository names contain slashes, so routes are recognised from the
 * end of the path; the name is validated later against the spec grammar.
 *
 * @param name      repository name, null for base and catalog
 * @param reference the tag, digest or upload id after the endpoint word, null when none
 */
public record Route(Endpoint endpoint, String name, String reference) {

    public enum Endpoint { BASE, CATALOG, TAGS, MANIFEST, BLOB, UPLOAD_START, UPLOAD, REFERRERS, UNKNOWN }

    private static final Pattern UPLOAD_START = Pattern.compile("(.+)/blobs/uploads/?");
    private static final Pattern UPLOAD = Pattern.compile("(.+)/blobs/uploads/([^/]+)");
    private static final Pattern MANIFEST = Pattern.compile("(.+)/manifests/([^/]+)");
    private static final Pattern BLOB = Pattern.compile("(.+)/blobs/([^/]+)");
    private static final Pattern REFERRERS = Pattern.compile("(.+)/referrers/([^/]+)");
    private static final Pattern TAGS = Pattern.compile("(.+)/tags/list");

    public static Route of(String path) {
        if (path.equals("/v2") || path.equals("/v2/")) {
            return new Route(Endpoint.BASE, null, null);
        }
        if (!path.startsWith("/v2/")) {
            return new Route(Endpoint.UNKNOWN, null, null);
        }
        String rest = path.substring(4);
        if (rest.equals("_catalog")) {
            return new Route(Endpoint.CATALOG, null, null);
        }
        Matcher m;
        if ((m = UPLOAD_START.matcher(rest)).matches()) {
            return new Route(Endpoint.UPLOAD_START, m.group(1), null);
        }
        if ((m = UPLOAD.matcher(rest)).matches()) {
            return new Route(Endpoint.UPLOAD, m.group(1), m.group(2));
        }
        if ((m = MANIFEST.matcher(rest)).matches()) {
            return new Route(Endpoint.MANIFEST, m.group(1), m.group(2));
        }
        if ((m = BLOB.matcher(rest)).matches()) {
            return new Route(Endpoint.BLOB, m.group(1), m.group(2));
        }
        if ((m = REFERRERS.matcher(rest)).matches()) {
            return new Route(Endpoint.REFERRERS, m.group(1), m.group(2));
        }
        if ((m = TAGS.matcher(rest)).matches()) {
            return new Route(Endpoint.TAGS, m.group(1), null);
        }
        return new Route(Endpoint.UNKNOWN, null, null);
    }
}
