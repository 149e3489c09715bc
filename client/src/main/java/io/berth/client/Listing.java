package io.berth.client;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/** Pages of the tag list and the catalog, which page alike: {@code n}, {@code last} and a {@code Link} header. */
final class Listing {
    private static final Pattern NEXT = Pattern.compile("<([^>]*)>\\s*;\\s*rel=\"?next\"?");

    private Listing() {
    }

    static Page page(Transport transport, String path, String field, List<String> scopes, int n, String last)
            throws IOException {
        StringBuilder query = new StringBuilder();
        if (n > 0) {
            query.append("n=").append(n);
        }
        if (last != null) {
            query.append(query.isEmpty() ? "" : "&").append("last=").append(URLEncoder.encode(last,
                    StandardCharsets.UTF_8));
        }
        URI uri = transport.uri(path + (query.isEmpty() ? "" : "?" + query));
        HttpResponse<InputStream> response = transport.send(new Transport.Call("GET", uri, scopes, Map.of(), null,
                true));
        if (response.statusCode() != 200) {
            throw Transport.error("GET " + uri.getPath(), response);
        }
        List<String> items = new ArrayList<>();
        try (InputStream in = response.body()) {
            JsonNode body = Transport.JSON.readTree(in.readAllBytes());
            for (JsonNode item : body.path(field)) {
                items.add(item.asString());
            }
        } catch (JacksonException e) {
            throw new IOException("GET " + uri.getPath() + " answered something that is not JSON");
        }
        String next = null;
        String link = response.headers().firstValue("Link").orElse(null);
        if (link != null) {
            Matcher matcher = NEXT.matcher(link);
            if (matcher.find()) {
                next = queryParameter(URI.create(matcher.group(1)), "last");
            }
        }
        if (next == null && link != null && !items.isEmpty()) {
            next = items.getLast();
        }
        return new Page(items, next);
    }

    private static String queryParameter(URI uri, String name) {
        String query = uri.getRawQuery();
        if (query == null) {
            return null;
        }
        for (String pair : query.split("&")) {
            int equals = pair.indexOf('=');
            if (equals > 0 && pair.substring(0, equals).equals(name)) {
                return java.net.URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }
}
