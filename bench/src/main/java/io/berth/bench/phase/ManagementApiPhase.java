package io.berth.bench.phase;

import io.berth.bench.client.Blob;
import io.berth.bench.client.Manifests;
import io.berth.bench.client.RegistryClient;
import io.berth.bench.client.SyntheticImage;
import io.berth.bench.client.UnexpectedResponse;
import io.berth.bench.measure.ClosedLoop;
import io.berth.bench.measure.Outcome;
import io.berth.bench.report.PhaseResult;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Berth's management API at the sizes its targets name: one repository of many images, many repositories, and a
 * namespace of many blobs, pushed first (untimed), then pages of each listing and the namespace's usage read again
 * and again. A registry without the API (Distribution) gets "n/a".
 */
public final class ManagementApiPhase implements Phase {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int PAGE = 100;
    private static final int USAGE_REPOSITORIES = 10;
    private static final String IMAGES = "api/images";
    private static final String REPOSITORIES = "api/repos/r";
    private static final String NAMESPACE = "api/usage/";

    private final Workload workload;
    private final int images;
    private final int repositories;
    private final int blobs;
    private final int reads;
    private final ReadClient client;
    private final List<String> titles;

    /**
     * @param client who reads the listings at concurrency: with {@code wrk} for its duration after a check, as the
     *     other read phases, or {@code reads} times with the Java client, which parses every page
     */
    public ManagementApiPhase(Workload workload, int images, int repositories, int blobs, int reads,
                              ReadClient client) {
        this.workload = workload;
        this.images = images;
        this.repositories = repositories;
        this.blobs = blobs;
        this.reads = reads;
        this.client = client;
        int c = workload.concurrency();
        String each = client.isWrk()
                ? "wrk, C=%d, %d s; %d checked first".formatted(c, client.duration().toSeconds(), ReadClient.CHECKED)
                : "%d×, Java client, C=%d".formatted(reads, c);
        this.titles = List.of(
                "management API: images of a repository of %d, first page of %d (newest first), %s"
                        .formatted(images, PAGE, each),
                "management API: the same, the last page (by its cursor), %s".formatted(each),
                "management API: %d+ repositories by name, first page of %d, %s".formatted(repositories, PAGE, each),
                "management API: the same, a page at the end (by its cursor), %s".formatted(each),
                "management API: the same by size (largest first), first page, %s".formatted(each),
                "management API: usage of a namespace of %d repositories and %d blobs, %d×, C=1"
                        .formatted(USAGE_REPOSITORIES, blobs, Math.max(1, reads / 20)),
                "web UI: the repository list page (first of %d+, by name), %d×, C=1"
                        .formatted(repositories, pageReads()),
                "web UI: the page of the repository of %d images, %d×, C=1".formatted(images, pageReads()),
                "web UI: an image page in that repository, %d×, C=1".formatted(pageReads()),
                "web UI: the usage page of the namespace of %d blobs, %d×, C=1"
                        .formatted(blobs, Math.max(1, reads / 20)),
                "web UI: the usage page of all repositories, with the registry's totals, %d×, C=1"
                        .formatted(Math.max(1, reads / 20)));
    }

    @Override
    public List<String> titles() {
        return titles;
    }

    @Override
    public List<PhaseResult> run(RegistryClient registry) throws Exception {
        if (registry.get("/api/v1/openapi.json").statusCode() != 200) {
            return titles.stream().map(title -> PhaseResult.notApplicable(title, "no management API")).toList();
        }
        SplittableRandom random = new SplittableRandom(workload.seed() ^ 0x3a1);
        Blob layer = Blob.random(SyntheticImage.LAYER_TYPE, 512, random);
        registry.pushMonolithic(IMAGES, layer.digest(), layer.content());
        int c = workload.concurrency();
        expectNoErrors("pushing the images", ClosedLoop.times(images, c, index -> {
            Blob config = config(index);
            registry.pushMonolithic(IMAGES, config.digest(), config.content());
            byte[] manifest = Manifests.image(config, List.of(layer));
            registry.putManifest(IMAGES, "v" + index, RegistryClient.OCI_MANIFEST, manifest);
            return manifest.length;
        }));
        expectNoErrors("pushing the repositories", ClosedLoop.times(repositories, c, index -> {
            String repository = REPOSITORIES + "%06d".formatted(index);
            Blob config = config(index);
            registry.pushMonolithic(repository, config.digest(), config.content());
            registry.pushMonolithic(repository, layer.digest(), layer.content());
            byte[] manifest = Manifests.image(config, List.of(layer));
            registry.putManifest(repository, "v1", RegistryClient.OCI_MANIFEST, manifest);
            return manifest.length;
        }));
        expectNoErrors("pushing the blobs", ClosedLoop.times(blobs, c, index -> {
            // every tenth blob goes to a second repository as well: shared blobs count once
            byte[] content = ("blob " + index + " of " + workload.seed()).getBytes(StandardCharsets.UTF_8);
            Blob blob = Blob.of(SyntheticImage.LAYER_TYPE, content);
            registry.pushMonolithic(NAMESPACE + "r" + index % USAGE_REPOSITORIES, blob.digest(), content);
            if (index % 10 == 0) {
                registry.pushMonolithic(NAMESPACE + "r" + (index + 1) % USAGE_REPOSITORIES, blob.digest(), content);
            }
            return content.length;
        }));

        String imagesPath = "/api/v1/repositories/" + IMAGES + "/-/images?limit=" + PAGE;
        int pagesBefore = (images - 1) / PAGE;
        String lastImages = pagesBefore == 0 ? imagesPath
                : imagesPath + "&cursor=" + encode(cursorAfter(registry, imagesPath, pagesBefore));
        String byName = "/api/v1/repositories?limit=" + PAGE;
        String lastByName = byName + "&cursor=" + encode(REPOSITORIES + "%06d".formatted(repositories - PAGE - 1));
        String bySize = byName + "&sort=size";
        String usage = "/api/v1/usage?namespace=" + encode(NAMESPACE);
        return List.of(
                reads(titles.get(0), registry, imagesPath, "images", Math.min(PAGE, images)),
                reads(titles.get(1), registry, lastImages, "images", images - pagesBefore * PAGE),
                reads(titles.get(2), registry, byName, "repositories", PAGE),
                reads(titles.get(3), registry, lastByName, "repositories", PAGE),
                reads(titles.get(4), registry, bySize, "repositories", PAGE),
                PhaseResult.of(titles.get(5), ClosedLoop.times(Math.max(1, reads / 20), 1, index -> {
                    HttpResponse<byte[]> response = get(registry, usage);
                    long counted = JSON.readTree(response.body()).path("repositories").asLong();
                    if (counted != USAGE_REPOSITORIES) {
                        throw new UnexpectedResponse("usage counted " + counted + " repositories");
                    }
                    return response.body().length;
                }), "req", false),
                page(titles.get(6), registry, "/ui/", "id=\"repositories\"", pageReads()),
                page(titles.get(7), registry, "/ui/r/" + IMAGES, "id=\"images\"", pageReads()),
                page(titles.get(8), registry, "/ui/r/" + IMAGES + "/-/images/" + newestImage(registry),
                        "id=\"layers\"", pageReads()),
                page(titles.get(9), registry, "/ui/usage?namespace=" + encode(NAMESPACE), "id=\"usage-bytes\"",
                        Math.max(1, reads / 20)),
                page(titles.get(10), registry, "/ui/usage", "id=\"registry-usage\"", Math.max(1, reads / 20)));
    }

    /** How many times each UI page is read: one at a time, as a person browses. */
    private int pageReads() {
        return Math.max(1, reads / 5);
    }

    /** The digest of the newest image of the large repository, from the management API. */
    private static String newestImage(RegistryClient registry) throws Exception {
        JsonNode listing = JSON.readTree(get(registry, "/api/v1/repositories/" + IMAGES + "/-/images?limit=1").body());
        return listing.path("images").path(0).path("digest").asString();
    }

    /** Reads a UI page {@code times} times one at a time, each checked to hold {@code marker}, after a few untimed. */
    private static PhaseResult page(String title, RegistryClient registry, String path, String marker, int times)
            throws UnexpectedResponse {
        ClosedLoop.Operation read = index -> {
            HttpResponse<byte[]> response = get(registry, path);
            if (!new String(response.body(), StandardCharsets.UTF_8).contains(marker)) {
                throw new UnexpectedResponse("GET " + path + " is not the page expected (no " + marker + ")");
            }
            return response.body().length;
        };
        expectNoErrors("warming up " + path, ClosedLoop.times(Math.max(1, times / 10), 1, read));
        return PhaseResult.of(title, ClosedLoop.times(times, 1, read), "req", false);
    }

    /** A small image config of its own for image {@code index}. */
    private Blob config(int index) {
        return Blob.of(SyntheticImage.CONFIG_TYPE, ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"seed\":"
                + workload.seed() + ",\"index\":" + index + "}").getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Reads {@code path} again and again at the workload's concurrency, each page the Java client reads checked to
     * hold {@code size} items of {@code field}, after a tenth of {@link #reads} untimed reads that let the server
     * compile the listing's code.
     */
    private PhaseResult reads(String title, RegistryClient registry, String path, String field, int size)
            throws UnexpectedResponse, IOException, InterruptedException {
        ClosedLoop.Operation read = index -> {
            HttpResponse<byte[]> response = get(registry, path);
            int listed = JSON.readTree(response.body()).path(field).size();
            if (listed != size) {
                throw new UnexpectedResponse("GET " + path + " listed " + listed + " " + field + ", expected " + size);
            }
            return response.body().length;
        };
        int c = workload.concurrency();
        expectNoErrors("warming up " + path, ClosedLoop.times(Math.max(1, reads / 10), c, read));
        if (client.isWrk()) {
            return client.measure(title, registry, read, "GET", List.of(path), Map.of(), c, client.duration());
        }
        return PhaseResult.of(title, ClosedLoop.times(reads, c, read), "req", false);
    }

    /** The cursor that follows the first {@code pages} pages of a listing, walking them. */
    private static String cursorAfter(RegistryClient registry, String path, int pages) throws Exception {
        String cursor = null;
        for (int page = 0; page < pages; page++) {
            JsonNode listing = JSON.readTree(get(registry, path + (cursor == null ? "" : "&cursor="
                    + encode(cursor))).body());
            cursor = listing.path("next").asString();
        }
        return cursor;
    }

    private static HttpResponse<byte[]> get(RegistryClient registry, String path) throws Exception {
        HttpResponse<byte[]> response = registry.get(path);
        RegistryClient.expect(response, 200);
        return response;
    }

    private static void expectNoErrors(String what, Outcome outcome) throws UnexpectedResponse {
        if (outcome.errors() > 0) {
            throw new UnexpectedResponse(what + ": " + outcome.errors() + " errors, e.g. "
                    + PhaseResult.errorNotes(outcome));
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
