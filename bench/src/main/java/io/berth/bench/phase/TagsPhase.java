package io.berth.bench.phase;

import io.berth.bench.client.Blob;
import io.berth.bench.client.Manifests;
import io.berth.bench.client.RegistryClient;
import io.berth.bench.client.SyntheticImage;
import io.berth.bench.client.UnexpectedResponse;
import io.berth.bench.measure.ClosedLoop;
import io.berth.bench.measure.Outcome;
import io.berth.bench.report.PhaseResult;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A repository with many tags: one small manifest tagged T times (concurrent PUTs by tag), then random pages of 100
 * tags read with {@code tags/list?n=100&last=<random existing tag>}, each page checked to be exactly the next
 * 100 tags in lexical order.
 */
public final class TagsPhase implements Phase {
    private static final int PAGE = 100;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Workload workload;
    private final String repository;
    private final int tags;
    private final int pageReads;
    private final ReadClient client;
    private final String tagFormat;
    private final Blob config;
    private final Blob layer;
    private final byte[] manifest;
    private final String tagTitle;
    private final String pageTitle;

    public TagsPhase(Workload workload, String repository, int tags, int pageReads, ReadClient client) {
        this.workload = workload;
        this.repository = repository;
        this.tags = tags;
        this.pageReads = pageReads;
        this.client = client;
        // zero-padded so that lexical order, which tag listings use, is numeric order
        this.tagFormat = "t%0" + Integer.toString(Math.max(1, tags - 1)).length() + "d";
        SplittableRandom random = new SplittableRandom(workload.seed() ^ 0x7a9);
        this.config = Blob.of(SyntheticImage.CONFIG_TYPE,
                ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"seed\":" + workload.seed() + "}")
                        .getBytes(StandardCharsets.UTF_8));
        this.layer = Blob.random(SyntheticImage.LAYER_TYPE, 1024, random);
        this.manifest = Manifests.image(config, List.of(layer));
        int c = workload.concurrency();
        this.tagTitle = "tag one manifest %d times (`PUT` manifest by tag), C=%d".formatted(tags, c);
        String load = client.isWrk()
                ? "wrk, C=%d, %d s; %d checked first".formatted(c, client.duration().toSeconds(), ReadClient.CHECKED)
                : "%d×, Java client, C=%d".formatted(pageReads, c);
        this.pageTitle = "read pages: `tags/list?n=%d&last=<random tag>` of %d tags, %s".formatted(PAGE, tags, load);
    }

    @Override
    public List<String> titles() {
        return List.of(tagTitle, pageTitle);
    }

    @Override
    public List<PhaseResult> run(RegistryClient registry) throws Exception {
        registry.pushMonolithic(repository, config.digest(), config.content());
        registry.pushMonolithic(repository, layer.digest(), layer.content());
        Outcome tagging = ClosedLoop.times(tags, workload.concurrency(), index -> {
            registry.putManifest(repository, tag(index), RegistryClient.OCI_MANIFEST, manifest);
            return manifest.length;
        });
        AtomicInteger unpaginated = new AtomicInteger();
        ClosedLoop.Operation randomPage =
                index -> readPage(registry, ThreadLocalRandom.current().nextInt(tags), unpaginated);
        PhaseResult pages;
        int checked;
        if (client.isWrk()) {
            List<String> paths = IntStream.range(0, tags).mapToObj(this::pagePath).toList();
            pages = client.measure(pageTitle, registry, randomPage, "GET", paths, Map.of(), workload.concurrency(),
                    client.duration());
            checked = ReadClient.CHECKED;
        } else {
            pages = PhaseResult.of(pageTitle, ClosedLoop.times(pageReads, workload.concurrency(), randomPage), "req",
                    false);
            checked = pageReads;
        }
        if (unpaginated.get() > 0) {
            pages = pages.withNote(("ignores `n` and `last`: %d of %d checked responses listed all %d tags instead "
                    + "of the page asked for (accepted, and timed as they are)").formatted(unpaginated.get(),
                    checked, tags));
        }
        return List.of(PhaseResult.of(tagTitle, tagging, "tags", false), pages);
    }

    /** Reads the page after tag {@code last}; a response listing every tag counts as {@code unpaginated}. */
    private long readPage(RegistryClient registry, int last, AtomicInteger unpaginated) throws Exception {
        String path = pagePath(last);
        HttpResponse<byte[]> response = registry.get(path);
        RegistryClient.expect(response, 200);
        JsonNode page = JSON.readTree(response.body()).path("tags");
        int expected = Math.min(PAGE, tags - 1 - last);
        if (page.size() == tags && expected != tags) {
            unpaginated.incrementAndGet();
            return response.body().length;
        }
        if (page.size() != expected) {
            throw new UnexpectedResponse("GET " + path + " listed " + page.size() + " tags, expected " + expected);
        }
        if (expected > 0 && !page.get(0).asString().equals(tag(last + 1))) {
            throw new UnexpectedResponse("GET " + path + " started at " + page.get(0).asString() + ", expected "
                    + tag(last + 1));
        }
        return response.body().length;
    }

    private String pagePath(int last) {
        return "/v2/" + repository + "/tags/list?n=" + PAGE + "&last=" + tag(last);
    }

    private String tag(int index) {
        return tagFormat.formatted(index);
    }
}
