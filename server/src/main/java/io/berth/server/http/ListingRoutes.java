package io.berth.server.http;

import io.berth.oci.Digest;
import io.berth.oci.MediaTypes;
import io.berth.registry.Page;
import io.berth.registry.Registry;
import io.berth.registry.RenderedPage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** The base endpoint and the listings: the catalog, a repository's tags, a manifest's referrers. */
final class ListingRoutes {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final byte[] EMPTY_OBJECT = "{}".getBytes(StandardCharsets.UTF_8);
    private static final int MAX_TAGS_PAGE = 100_000;
    private static final int DEFAULT_CATALOG_PAGE = 1000;

    private final Registry registry;
    private final Gate gate;

    ListingRoutes(Registry registry, Gate gate) {
        this.registry = registry;
        this.gate = gate;
    }

    /** {@code /v2/}: the client speaks to a registry, and its credentials are good. */
    void base(Exchange exchange) {
        Responses.send(exchange.response(), exchange.callback(), 200, "application/json", EMPTY_OBJECT);
    }

    /** A page of the repositories the caller may pull, in name order. */
    void catalog(Exchange exchange) {
        Predicate<String> visible = gate.pullable(exchange.caller());
        Fields query = exchange.query();
        int n = Responses.pageSize(query, DEFAULT_CATALOG_PAGE, 10_000);
        List<String> names = new ArrayList<>();
        String cursor = query.getValue("last");
        boolean more = true;
        while (more && names.size() <= n) {
            Page<String> page = registry.catalog(cursor, Math.max(n, 100));
            for (String name : page.items()) {
                if (visible.test(name)) {
                    names.add(name);
                }
            }
            more = page.hasMore();
            cursor = page.last();
        }
        boolean hasMore = names.size() > n;
        List<String> items = hasMore ? names.subList(0, n) : names;
        ObjectNode body = JSON.createObjectNode();
        items.forEach(body.putArray("repositories")::add);
        if (hasMore && n > 0) {
            Responses.link(exchange.response(), "/v2/_catalog", n, items.getLast(), null);
        }
        Responses.send(exchange.response(), exchange.callback(), 200, "application/json",
                JSON.writeValueAsBytes(body));
    }

    void tags(Exchange exchange) {
        Fields query = exchange.query();
        int n = Responses.pageSize(query, MAX_TAGS_PAGE, MAX_TAGS_PAGE);
        sendTags(exchange, n, registry.tags(exchange.name(), query.getValue("last"), n));
    }

    /** Answers a tags listing from memory when it is there; false leaves the request to {@link #tags}. */
    boolean tagsFromCache(Exchange exchange) {
        Fields query;
        int n;
        try {
            query = exchange.query();
            n = Responses.pageSize(query, MAX_TAGS_PAGE, MAX_TAGS_PAGE);
        } catch (RuntimeException e) {
            return false; // bad input: the blocking path answers with the right error
        }
        Optional<RenderedPage> page = registry.cachedTags(exchange.name(), query.getValue("last"), n);
        page.ifPresent(found -> sendTags(exchange, n, found));
        return page.isPresent();
    }

    private static void sendTags(Exchange exchange, int n, RenderedPage page) {
        if (page.hasMore()) {
            Responses.link(exchange.response(), "/v2/" + exchange.name() + "/tags/list", n, page.last(), null);
        }
        Responses.send(exchange.response(), exchange.callback(), 200, "application/json", page.json());
    }

    void referrers(Exchange exchange) {
        Digest subject = Registry.parseDigest(exchange.parameter("digest"));
        Fields query = exchange.query();
        String artifactType = query.getValue("artifactType");
        int n = referrersPageSize(query);
        RenderedPage page = registry.referrers(exchange.name(), subject, artifactType, query.getValue("last"), n);
        sendReferrers(exchange.name(), subject, artifactType, n, page, exchange.response(), exchange.callback());
    }

    /** Answers a referrers listing from memory when it is there; false leaves the request to {@link #referrers}. */
    boolean referrersFromCache(Exchange exchange) {
        Digest subject;
        Fields query;
        int n;
        try {
            subject = Digest.parse(exchange.parameter("digest"));
            query = exchange.query();
            n = referrersPageSize(query);
        } catch (RuntimeException e) {
            return false; // bad input: the blocking path answers with the right error
        }
        String artifactType = query.getValue("artifactType");
        Optional<RenderedPage> page = registry.cachedReferrers(exchange.name(), subject, artifactType,
                query.getValue("last"), n);
        page.ifPresent(found -> sendReferrers(exchange.name(), subject, artifactType, n, found, exchange.response(),
                exchange.callback()));
        return page.isPresent();
    }

    private int referrersPageSize(Fields query) {
        int pageSize = registry.options().referrersPageSize();
        return Responses.pageSize(query, pageSize, pageSize);
    }

    private static void sendReferrers(String name, Digest subject, String artifactType, int n, RenderedPage page,
                                      Response response, Callback callback) {
        if (artifactType != null) {
            response.getHeaders().put("OCI-Filters-Applied", "artifactType");
        }
        if (page.hasMore()) {
            Responses.link(response, "/v2/" + name + "/referrers/" + subject, n, page.last(), artifactType);
        }
        Responses.send(response, callback, 200, MediaTypes.OCI_INDEX, page.json());
    }
}
