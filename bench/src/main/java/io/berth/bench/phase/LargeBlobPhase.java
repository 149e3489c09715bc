package io.berth.bench.phase;

import io.berth.bench.client.GeneratedContent;
import io.berth.bench.client.RegistryClient;
import io.berth.bench.client.UnexpectedResponse;
import io.berth.bench.measure.ClosedLoop;
import io.berth.bench.measure.Outcome;
import io.berth.bench.report.Figure;
import io.berth.bench.report.PhaseResult;
import io.berth.bench.measure.Curl;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.net.http.HttpRequest.BodyPublishers;
import java.util.List;

/**
 * One large blob, streamed both ways: uploaded in {@code PATCH}es of a fixed size from a generator (never in
 * memory), then downloaded a few times, verified while it streams. A single transfer is a noisy figure on a
 * shared machine; the downloads report their total rate and the median transfer's rate and time.
 *
 * <p>With {@code curl}, the blob is written to a file first (not timed) and sent in one {@code PUT} after the
 * {@code POST}; the downloads go to {@code /dev/null} after one verified download with the Java client. The Java
 * client's copies and SHA-256 then no longer share the two cores with the server under test.
 */
public final class LargeBlobPhase implements Phase {
    private final String repository;
    private final GeneratedContent content;
    private final String digest;
    private final long chunkSize;
    private final int downloads;
    private final String uploadTitle;
    private final String firstDownloadTitle;
    private final String downloadTitle;
    private final Curl curl;

    /** @param curl the client of the transfers, or null for the Java client */
    public LargeBlobPhase(String repository, long size, long chunkSize, int downloads, long seed, Curl curl) {
        this.repository = repository;
        this.content = new GeneratedContent(size, seed);
        this.digest = content.digest();
        this.chunkSize = chunkSize;
        this.downloads = downloads;
        this.curl = curl;
        this.uploadTitle = curl != null
                ? "upload one %s blob (`POST` + `PUT`, curl from a file)".formatted(Workload.size(size))
                : "upload one %s blob in %s `PATCH`es".formatted(Workload.size(size), Workload.size(chunkSize));
        this.firstDownloadTitle = curl != null
                ? "first download of it, right after the upload (`GET`, curl)"
                : "first download of it, right after the upload (`GET`, streamed, digest verified)";
        this.downloadTitle = curl != null
                ? "download it %d× (`GET`, curl, digest verified once before)".formatted(downloads)
                : "download it %d× (`GET`, streamed, digest verified)".formatted(downloads);
    }

    public String repository() {
        return repository;
    }

    public String digest() {
        return digest;
    }

    public long size() {
        return content.size();
    }

    @Override
    public List<String> titles() {
        return List.of(uploadTitle, firstDownloadTitle, downloadTitle);
    }

    @Override
    public List<PhaseResult> run(RegistryClient registry) {
        return curl != null ? runWithCurl(registry) : runWithJava(registry);
    }

    private List<PhaseResult> runWithCurl(RegistryClient registry) {
        Path file;
        try {
            file = Files.createTempFile("berth-bench-large-", ".blob");
            try (FileChannel out = FileChannel.open(file, StandardOpenOption.WRITE)) {
                for (byte[] part : content.range(0, content.size())) {
                    ByteBuffer buffer = ByteBuffer.wrap(part);
                    while (buffer.hasRemaining()) {
                        out.write(buffer);
                    }
                }
                // The file's gigabyte of dirty pages would otherwise be written back while the server under test
                // writes its own copy, and the garbage of generating it collected while the server works.
                out.force(true);
            }
            settle();
        } catch (IOException e) {
            throw new UncheckedIOException("writing the large blob to a file", e);
        }
        try {
            Outcome upload = ClosedLoop.times(1, 1, index -> {
                URI location = registry.startUpload(repository);
                String separator = location.getRawQuery() == null ? "?" : "&";
                Curl.Transfer sent = curl.put(URI.create(location + separator + "digest=" + digest), file);
                if (sent.status() != 201) {
                    throw new UnexpectedResponse("PUT of the large blob answered " + sent.status());
                }
                return sent.bytes();
            });
            URI blob = registry.base().resolve("/v2/" + repository + "/blobs/" + digest);
            // Nothing between the upload and this download: what a cluster pulling a layer CI just pushed meets.
            Outcome first = ClosedLoop.times(1, 1, index -> curlGet(blob));
            Outcome verified = ClosedLoop.times(1, 1, index -> registry.pullBlob(repository, digest));
            Outcome download = verified.errors() > 0 ? verified
                    : ClosedLoop.times(downloads, 1, index -> curlGet(blob));
            return List.of(transfer(uploadTitle, upload), transfer(firstDownloadTitle, first),
                    transfer(downloadTitle, download));
        } finally {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // a temporary file left behind is harmless
            }
        }
    }

    private long curlGet(URI blob) throws IOException, InterruptedException, UnexpectedResponse {
        Curl.Transfer received = curl.get(blob);
        if (received.status() != 200 || received.bytes() != content.size()) {
            throw new UnexpectedResponse("GET blob answered " + received.status() + " with " + received.bytes()
                    + " bytes, expected " + content.size());
        }
        return received.bytes();
    }

    /** Lets this process's own work from generating the content finish before the measured transfer starts. */
    private static void settle() {
        System.gc();
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private List<PhaseResult> runWithJava(RegistryClient registry) {
        Outcome upload = ClosedLoop.times(1, 1, index -> upload(registry));
        Outcome first = ClosedLoop.times(1, 1, index -> javaGet(registry));
        Outcome download = ClosedLoop.times(downloads, 1, index -> javaGet(registry));
        return List.of(transfer(uploadTitle, upload), transfer(firstDownloadTitle, first),
                transfer(downloadTitle, download));
    }

    private long javaGet(RegistryClient registry) throws Exception {
        long size = registry.pullBlob(repository, digest);
        if (size != content.size()) {
            throw new UnexpectedResponse("GET blob returned " + size + " bytes, expected " + content.size());
        }
        return size;
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

    private PhaseResult transfer(String title, Outcome outcome) {
        double medianSeconds = outcome.latencies().percentileMillis(50) / 1000;
        List<Figure> figures = outcome.operations() > 1
                // One slow transfer, a scheduling accident on a shared machine, moves a total of a few; the median
                // transfer shows the typical one.
                ? List.of(Figure.higherIsBetter("MB/s", outcome.megabytesPerSecond()),
                        Figure.higherIsBetter("MB/s (median transfer)", content.size() / 1e6 / medianSeconds),
                        Figure.lowerIsBetter("seconds (median)", medianSeconds),
                        Figure.count("errors", outcome.errors()))
                : List.of(Figure.higherIsBetter("MB/s", outcome.megabytesPerSecond()),
                        Figure.lowerIsBetter("seconds (median)", medianSeconds),
                        Figure.count("errors", outcome.errors()));
        return new PhaseResult(title, figures, null, PhaseResult.errorNotes(outcome));
    }
}
