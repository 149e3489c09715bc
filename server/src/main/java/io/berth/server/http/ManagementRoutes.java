package io.berth.server.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.berth.oci.Digest;
import io.berth.registry.ErrorCode;
import io.berth.registry.Page;
import io.berth.registry.Registry;
import io.berth.registry.inventory.ImageDetails;
import io.berth.registry.inventory.ImageQuery;
import io.berth.registry.inventory.RegistryUsage;
import io.berth.registry.inventory.RepositoryInfo;
import io.berth.registry.inventory.RepositoryQuery;
import io.berth.registry.inventory.TagInfo;
import io.berth.registry.inventory.Usage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.eclipse.jetty.util.Fields;

/**
 * The management API under {@code /api/v1/}: repositories, images, tags and referrers as users browse them, and
 * their deletion. A repository's own routes follow its name after {@code /-/}, which no name contains. Shapes of
 * the answers are in {@link ManagementJson}; the document of it all is {@code /api/v1/openapi.json}.
 */
final class ManagementRoutes {
    static final String OPENAPI_RESOURCE = "/openapi.json";
    private static final int DEFAULT_LIMIT = 100;
    private static final int MAX_LIMIT = 1000;
    /** Bytes of image pages kept: the pages users and dashboards open again and again, of repositories of any size. */
    private static final long IMAGE_PAGES_BYTES = 8L << 20;

    private final Registry registry;
    private final ImageDetails details;
    private final Gate gate;
    private final byte[] openApi;
    /**
     * Pages of images as sent, by the repository's generation
     * ({@link io.berth.registry.inventory.Inventory#generation}): a write to the repository raises it in its own
     * transaction, so a page is served again only while it is what the database would answer, on any node. Old
     * generations' pages are never asked for again and age out.
     */
    private final Cache<ImagePage, byte[]> imagePages = Caffeine.newBuilder()
            .maximumWeight(IMAGE_PAGES_BYTES)
            .weigher((ImagePage key, byte[] page) -> page.length)
            .expireAfterAccess(Duration.ofMinutes(10))
            .build();

    ManagementRoutes(Registry registry, Gate gate) {
        this.registry = registry;
        this.details = registry == null ? null : new ImageDetails(registry);
        this.gate = gate;
        this.openApi = openApiDocument();
    }

    /** {@code GET /api/v1/openapi.json}: the API's OpenAPI 3.1 document. */
    void openApi(Exchange exchange) {
        Responses.send(exchange.response(), exchange.callback(), 200, "application/json", openApi);
    }

    /** The OpenAPI document, as the server's resource holds it. */
    static byte[] openApiDocument() {
        try (InputStream in = ManagementRoutes.class.getResourceAsStream(OPENAPI_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(OPENAPI_RESOURCE + " is missing from the server's resources");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- repositories

    /**
     * {@code GET /api/v1/repositories?sort=name|pushed|size&name=TEXT&limit=N&cursor=C}: the repositories the caller
     * may pull.
     */
    void repositories(Exchange exchange) {
        Fields query = exchange.query();
        RepositoryQuery.Sort sort = choice(query, "sort", RepositoryQuery.Sort.class, RepositoryQuery.Sort.NAME);
        Listing listing = visibleRepositories(exchange.caller(), new RepositoryQuery(sort, query.getValue("name"),
                query.getValue("cursor"), limit(query)), name -> true);
        send(exchange, ManagementJson.repositories(listing.items(), registry.options().quotas(), listing.next()));
    }

    /** A page of repositories, and the cursor of the next page (null on the last). */
    record Listing(List<RepositoryInfo> items, String next) {
    }

    /** A page of the repositories the caller may pull and {@code wanted} takes, as {@code query} asks. */
    Listing visibleRepositories(Gate.Caller caller, RepositoryQuery query, Predicate<String> wanted) {
        Predicate<String> visible = gate.pullable(caller).and(wanted);
        List<RepositoryInfo> items = new ArrayList<>();
        String next = query.cursor();
        // Repositories the caller may not see are read past, in reads four times larger each time: a caller who sees
        // few of many costs a few reads, not one per page.
        int size = query.limit();
        do {
            RepositoryQuery read = new RepositoryQuery(query.sort(), query.nameContains(), next, size);
            size = Math.min(size * 4, MAX_LIMIT);
            Page<RepositoryInfo> page = fromCursor(() -> registry.inventory().repositories(read));
            next = page.last();
            for (RepositoryInfo repository : page.items()) {
                if (items.size() == query.limit()) {
                    next = RepositoryQuery.cursorAfter(query.sort(), items.getLast());
                    break;
                }
                if (visible.test(repository.name())) {
                    items.add(repository);
                }
            }
        } while (next != null && items.size() < query.limit());
        return new Listing(items, next);
    }

    /** {@code GET /api/v1/repositories/NAME}. */
    void repository(Exchange exchange) {
        send(exchange, ManagementJson.repository(registry.repository(exchange.name()), registry.options().quotas()));
    }

    /** {@code DELETE /api/v1/repositories/NAME}: its tags and manifests; its blobs are left to garbage collection. */
    void deleteRepository(Exchange exchange) {
        registry.deleteRepository(exchange.name());
        Responses.sendEmpty(exchange.response(), exchange.callback(), 204);
    }

    // ---- images

    /**
     * {@code GET /api/v1/repositories/NAME/-/images?type=images|referrers|all&tagged=tagged|untagged|any
     * &artifactType=T&order=newest|oldest&limit=N&cursor=C}.
     */
    void images(Exchange exchange) {
        OptionalLong generation = registry.inventory().generation(exchange.name());
        if (generation.isEmpty()) {
            registry.checkExists(exchange.name()); // says why: no such repository, or not a valid name
        }
        Fields query = exchange.query();
        ImageQuery imageQuery = new ImageQuery(
                choice(query, "type", ImageQuery.Kind.class, ImageQuery.Kind.ALL),
                choice(query, "tagged", ImageQuery.Tagged.class, ImageQuery.Tagged.ANY),
                query.getValue("artifactType"),
                choice(query, "order", Order.class, Order.NEWEST) == Order.OLDEST,
                query.getValue("cursor"), limit(query));
        Supplier<byte[]> page = () -> ManagementJson.images(fromCursor(() -> registry.inventory()
                .images(exchange.name(), imageQuery)));
        // The generation is read before the page: a page cached under it is that generation's or a later one's.
        send(exchange, generation.isEmpty() ? page.get() : imagePages.get(
                new ImagePage(exchange.name(), generation.getAsLong(), imageQuery), key -> page.get()));
    }

    /** What a page of images depends on. */
    private record ImagePage(String repository, long generation, ImageQuery query) {
    }

    /** The order of an image listing: by push time. */
    private enum Order { NEWEST, OLDEST }

    /** {@code GET /api/v1/repositories/NAME/-/images/DIGEST?artifactType=T}: one image, with its referrer tree. */
    void image(Exchange exchange) {
        Digest digest = Registry.parseDigest(exchange.parameter("digest"));
        send(exchange, ManagementJson.image(details.describe(exchange.name(), digest,
                exchange.query().getValue("artifactType"))));
    }

    /** {@code DELETE /api/v1/repositories/NAME/-/images/DIGEST}: the manifest and every tag on it. */
    void deleteImage(Exchange exchange) {
        registry.deleteManifest(exchange.name(), Registry.parseDigest(exchange.parameter("digest")).toString());
        Responses.sendEmpty(exchange.response(), exchange.callback(), 204);
    }

    // ---- tags

    /** {@code GET /api/v1/repositories/NAME/-/tags?limit=N&cursor=C}. */
    void tags(Exchange exchange) {
        registry.checkExists(exchange.name());
        Fields query = exchange.query();
        Page<TagInfo> page = registry.inventory().tags(exchange.name(), query.getValue("cursor"), limit(query));
        send(exchange, ManagementJson.tags(page));
    }

    /** {@code DELETE /api/v1/repositories/NAME/-/tags/TAG}: the tag only; the manifest stays. */
    void deleteTag(Exchange exchange) {
        registry.deleteManifest(exchange.name(), exchange.parameter("tag"));
        Responses.sendEmpty(exchange.response(), exchange.callback(), 204);
    }

    // ---- usage

    /**
     * {@code GET /api/v1/usage?namespace=PREFIX}: the bytes the repositories whose names start with the prefix store
     * (those the caller may pull), each blob once however many of them share it; and for a caller who administers the
     * registry, the registry's totals with what garbage collection would free.
     */
    void usage(Exchange exchange) {
        String namespace = Optional.ofNullable(exchange.query().getValue("namespace")).orElse("");
        send(exchange, ManagementJson.usage(namespace, usage(exchange.caller(), namespace),
                registryUsage(exchange.caller())));
    }

    /** What the repositories under {@code namespace} that the caller may pull store. */
    Usage usage(Gate.Caller caller, String namespace) {
        Predicate<String> visible = gate.pullable(caller);
        List<String> names = registry.inventory().repositoryNames(namespace);
        List<String> counted = names.stream().filter(visible).toList();
        if ((namespace.isEmpty() || namespace.endsWith("/")) && counted.size() == names.size()) {
            return registry.inventory().namespaceUsage(namespace); // the caller sees the whole namespace
        }
        try {
            return registry.inventory().usage(counted);
        } catch (IllegalArgumentException e) {
            throw new HttpError(400, ErrorCode.UNSUPPORTED, "the namespace holds too many repositories to count at "
                    + "once (" + counted.size() + "); ask for a narrower one", e.getMessage());
        }
    }

    /** The registry's totals for a caller who administers it; null for others. */
    RegistryUsage registryUsage(Gate.Caller caller) {
        return gate.permits(caller, Gate.Need.ADMIN) ? registry.inventory().registryUsage() : null;
    }

    // ---- plumbing

    private static void send(Exchange exchange, byte[] body) {
        Responses.send(exchange.response(), exchange.callback(), 200, "application/json", body);
    }

    private static int limit(Fields query) {
        String text = query.getValue("limit");
        if (text == null) {
            return DEFAULT_LIMIT;
        }
        try {
            int limit = Integer.parseInt(text);
            if (limit < 1 || limit > MAX_LIMIT) {
                throw new NumberFormatException();
            }
            return limit;
        } catch (NumberFormatException e) {
            throw new HttpError(400, ErrorCode.UNSUPPORTED, "limit must be a number from 1 to " + MAX_LIMIT,
                    "limit=" + text);
        }
    }

    /** The value of an enumerated parameter, named in lower case; 400 naming the choices for another. */
    static <E extends Enum<E>> E choice(Fields query, String name, Class<E> type, E absent) {
        String text = query.getValue(name);
        if (text == null) {
            return absent;
        }
        for (E value : type.getEnumConstants()) {
            if (value.name().toLowerCase(Locale.ROOT).equals(text)) {
                return value;
            }
        }
        List<String> choices = new ArrayList<>();
        for (E value : type.getEnumConstants()) {
            choices.add(value.name().toLowerCase(Locale.ROOT));
        }
        throw new HttpError(400, ErrorCode.UNSUPPORTED, name + " must be one of " + String.join(", ", choices),
                name + "=" + text);
    }

    /** A listing read from a cursor the caller sent: one that is not this listing's is a 400. */
    static <T> T fromCursor(Supplier<T> read) {
        try {
            return read.get();
        } catch (IllegalArgumentException e) {
            throw new HttpError(400, ErrorCode.UNSUPPORTED, "the cursor is not one this listing gave", e.getMessage());
        }
    }
}
