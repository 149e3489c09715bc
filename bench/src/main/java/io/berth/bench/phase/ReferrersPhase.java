package io.berth.bench.phase;

import io.berth.bench.client.Blob;
import io.berth.bench.client.Manifests;
import io.berth.bench.client.RegistryClient;
import io.berth.bench.client.Sha256;
import io.berth.bench.client.SyntheticImage;
import io.berth.bench.client.UnexpectedResponse;
import io.berth.bench.measure.ClosedLoop;
import io.berth.bench.measure.Outcome;
import io.berth.bench.report.PhaseResult;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Attaches K artifacts (signatures and SBOMs, alternately) to the first image, then lists them through the
 * referrers API, all of them and filtered by {@code artifactType}. A registry without the API answers the listing
 * with 404: its listing figures are "n/a".
 */
public final class ReferrersPhase implements Phase {
    static final String SIGNATURE = "application/vnd.example.signature.v1+json";
    static final String SBOM = "application/vnd.example.sbom.v1+json";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Workload workload;
    private final int listings;
    private final ReadClient client;
    private final List<Blob> payloads = new ArrayList<>();
    private final List<byte[]> manifests = new ArrayList<>();
    private final SyntheticImage subject;
    private final int signatures;
    private final String pushTitle;
    private final String listTitle;
    private final String filteredTitle;

    public ReferrersPhase(Workload workload, int referrers, int listings, ReadClient client) {
        this.workload = workload;
        this.listings = listings;
        this.client = client;
        this.subject = workload.image(0);
        SplittableRandom random = new SplittableRandom(workload.seed() ^ 0x5eed);
        for (int i = 0; i < referrers; i++) {
            Blob payload = Blob.random("application/octet-stream", 512, random);
            payloads.add(payload);
            manifests.add(Manifests.referrer(artifactType(i), payload,
                    subject.manifestDigest(), subject.manifest().length));
        }
        this.signatures = (referrers + 1) / 2;
        int c = workload.concurrency();
        this.pushTitle = "push %d referrers (artifact manifests with subject, by digest), C=%d".formatted(referrers, c);
        String load = client.isWrk()
                ? "wrk, C=%d, %d s; %d checked first".formatted(c, client.duration().toSeconds(), ReadClient.CHECKED)
                : "%d×, Java client, C=%d".formatted(listings, c);
        this.listTitle = "list the %d referrers of an image (`GET /v2/<name>/referrers/<digest>`), %s"
                .formatted(referrers, load);
        this.filteredTitle = "list referrers with `?artifactType=` (%d of %d match), %s"
                .formatted(signatures, referrers, load);
    }

    private static String artifactType(int index) {
        return index % 2 == 0 ? SIGNATURE : SBOM;
    }

    @Override
    public List<String> titles() {
        return List.of(pushTitle, listTitle, filteredTitle);
    }

    @Override
    public List<PhaseResult> run(RegistryClient registry) throws Exception {
        String repository = subject.repository();
        uploadPayloads(registry, repository);
        Outcome push = ClosedLoop.times(manifests.size(), workload.concurrency(), index -> {
            byte[] manifest = manifests.get(index);
            String digest = Sha256.of(manifest);
            registry.putManifest(repository, digest, RegistryClient.OCI_MANIFEST, manifest);
            return manifest.length;
        });
        List<PhaseResult> results = new ArrayList<>();
        results.add(PhaseResult.of(pushTitle, push, "manifests", false));

        String listPath = "/v2/" + repository + "/referrers/" + subject.manifestDigest();
        HttpResponse<byte[]> probe = registry.get(listPath);
        if (probe.statusCode() == 404) {
            String reason = "no referrers API: `GET /v2/<name>/referrers/<digest>` answers 404";
            results.add(PhaseResult.notApplicable(listTitle, reason));
            results.add(PhaseResult.notApplicable(filteredTitle, reason));
            return results;
        }
        String filtered = listPath + "?artifactType=" + URLEncoder.encode(SIGNATURE, StandardCharsets.UTF_8);
        results.add(measure(registry, listTitle, listPath, index -> list(registry, listPath, null, manifests.size())));
        results.add(measure(registry, filteredTitle, filtered,
                index -> list(registry, filtered, SIGNATURE, signatures)));
        return results;
    }

    /** Lists {@code path} repeatedly with the Java client (each listing checked), or with wrk after a check. */
    private PhaseResult measure(RegistryClient registry, String title, String path, ClosedLoop.Operation listing)
            throws Exception {
        int c = workload.concurrency();
        if (client.isWrk()) {
            return client.measure(title, registry, listing, "GET", List.of(path), Map.of(), c, client.duration());
        }
        return PhaseResult.of(title, ClosedLoop.times(listings, c, listing), "req", false);
    }

    /** The empty config and each artifact's payload, before the timed manifest pushes. */
    private void uploadPayloads(RegistryClient registry, String repository) throws Exception {
        registry.pushMonolithic(repository, Blob.EMPTY_CONFIG.digest(), Blob.EMPTY_CONFIG.content());
        Outcome uploads = ClosedLoop.times(payloads.size(), workload.concurrency(), index -> {
            Blob payload = payloads.get(index);
            registry.pushMonolithic(repository, payload.digest(), payload.content());
            return payload.size();
        });
        if (uploads.errors() > 0) {
            throw new UnexpectedResponse("uploading the referrers' payloads failed: " + uploads.errorSamples());
        }
    }

    private static long list(RegistryClient registry, String path, String artifactType, int expected)
            throws Exception {
        HttpResponse<byte[]> response = registry.get(path);
        RegistryClient.expect(response, 200);
        JsonNode descriptors = JSON.readTree(response.body()).path("manifests");
        if (descriptors.size() != expected) {
            throw new UnexpectedResponse("GET " + path + " listed " + descriptors.size() + " referrers, expected "
                    + expected);
        }
        if (artifactType != null) {
            for (JsonNode descriptor : descriptors) {
                if (!artifactType.equals(descriptor.path("artifactType").asString())) {
                    throw new UnexpectedResponse("GET " + path + " listed a referrer of type "
                            + descriptor.path("artifactType").asString());
                }
            }
        }
        return response.body().length;
    }
}
