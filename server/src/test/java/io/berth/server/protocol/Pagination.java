package io.berth.server.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/** Follows RFC 5988 {@code Link: <url>; rel="next"} headers, as the tag list, catalog and referrers answer them. */
final class Pagination {
    private static final Pattern NEXT = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");

    private Pagination() {}

    /** The target of the {@code rel="next"} link, if the response has one. */
    static Optional<String> next(HttpResponse<?> response) {
        for (String link : response.headers().allValues("Link")) {
            Matcher matcher = NEXT.matcher(link);
            if (matcher.find()) {
                return Optional.of(matcher.group(1));
            }
        }
        return Optional.empty();
    }

    /** The pages from {@code first} on, each asserted 200, as long as a next link is given. */
    static List<HttpResponse<byte[]>> pages(RegistryClient client, String first) {
        List<HttpResponse<byte[]>> pages = new ArrayList<>();
        String target = first;
        while (target != null) {
            HttpResponse<byte[]> page = client.get(target);
            assertThat(page.statusCode()).as("GET %s: %s", target, RegistryClient.body(page)).isEqualTo(200);
            pages.add(page);
            assertThat(pages.size()).as("pages followed from %s", first).isLessThan(10_000);
            target = next(page).orElse(null);
        }
        return pages;
    }

    /** Every string element of {@code field} over all pages, in page order. */
    static List<String> collect(List<HttpResponse<byte[]>> pages, String field) {
        return collect(pages, page -> page.path(field), JsonNode::asString);
    }

    static List<String> collect(List<HttpResponse<byte[]>> pages, Function<JsonNode, JsonNode> array,
            Function<JsonNode, String> element) {
        List<String> all = new ArrayList<>();
        for (HttpResponse<byte[]> page : pages) {
            for (JsonNode item : array.apply(RegistryClient.json(page))) {
                all.add(element.apply(item));
            }
        }
        return all;
    }
}
