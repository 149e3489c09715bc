package io.berth.bench.phase;

import io.berth.bench.client.GeneratedContent;
import io.berth.bench.client.RegistryClient;
import io.berth.bench.client.UnexpectedResponse;
import io.berth.bench.measure.ClosedLoop;
import io.berth.bench.measure.Outcome;
import io.berth.bench.report.Figure;
import io.berth.bench.report.PhaseResult;
import java.net.URI;
import java.net.http.HttpRequest.BodyPublishers;
import java.util.List;

/**
 * One large blob, streamed both ways: uploaded in {@code PATCH}es of a fixed size from a generator (never in
 * memory), then downloaded a few times, verified while it streams. A single transfer is a noisy figure on a
 * shared machine; the downloads report their total rate and median time.
 */
public final class LargeBlobPhase implements Phase {
    private final String repository;
    private final GeneratedContent content;
    private final String digest;
    private final long chunkSize;
    private final int downloads;
    private final String uploadTitle;
    private final String downloadTitle;

    public LargeBlobPhase(String repository, long size, long chunkSize, int downloads, long seed) {
        this.repository = repository;
        this.content = new GeneratedContent(size, seed);
        this.digest = content.digest();
        this.chunkSize = chunkSize;
        this.downloads = downloads;
        this.uploadTitle = "upload one %s blob in %s `PATCH`es".formatted(Workload.size(size),
                Workload.size(chunkSize));
        this.downloadTitle = "download it %d× (`GET`, streamed, digest verified)".formatted(downloads);
    }

    @Override
    public List<String> titles() {
        return List.of(uploadTitle, downloadTitle);
    }

    @Override
    public List<PhaseResult> run(RegistryClient registry) {
        Outcome upload = ClosedLoop.times(1, 1, index -> upload(registry));
        Outcome download = ClosedLoop.times(downloads, 1, index -> {
            long size = registry.pullBlob(repository, digest);
            if (size != content.size()) {
                throw new UnexpectedResponse("GET blob returned " + size + " bytes, expected " + content.size());
            }
            return size;
        });
        return List.of(transfer(uploadTitle, upload), transfer(downloadTitle, download));
    }

    private long upload(RegistryClient registry) throws Exception {
        URI location = registry.startUpload(repository);
        for (long offset = 0; offset < content.size(); offset += chunkSize) {
            long length = Math.min(chunkSize, content.size() - offset);
            var chunk = BodyPublishers.fromPublisher(BodyPublishers.ofByteArrays(content.range(offset, length)),
                    length);
            location = registry.patch(location, offset, length, chunk);
        }
        registry.put(location, digest, BodyPublishers.noBody());
        return content.size();
    }

    private static PhaseResult transfer(String title, Outcome outcome) {
        return new PhaseResult(title, List.of(
                Figure.higherIsBetter("MB/s", outcome.megabytesPerSecond()),
                Figure.lowerIsBetter("seconds (median)", outcome.latencies().percentileMillis(50) / 1000),
                Figure.count("errors", outcome.errors())), null, PhaseResult.errorNotes(outcome));
    }
}
