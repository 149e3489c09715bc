package io.berth.bench.jmh;

import io.berth.oci.Manifest;
import io.berth.oci.MediaTypes;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Parsing and validating a pushed manifest, done on every manifest PUT. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ManifestParseBenchmark {

    /** A typical image, an artifact with a subject (signature, SBOM), and a multi-platform index. */
    @Param({"image", "referrer", "index"})
    public String kind;

    private byte[] bytes;
    private String contentType;

    @Setup
    public void setUp() {
        String json = switch (kind) {
            case "image" -> image(8);
            case "referrer" -> referrer();
            case "index" -> index(6);
            default -> throw new IllegalArgumentException(kind);
        };
        bytes = json.getBytes(StandardCharsets.UTF_8);
        contentType = kind.equals("index") ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
    }

    @Benchmark
    public Manifest parse() {
        return Manifest.parse(bytes, contentType);
    }

    private static String digest(int n) {
        return "sha256:" + "%064x".formatted(n * 0x9E3779B97F4A7C15L & Long.MAX_VALUE);
    }

    private static String descriptor(String mediaType, int n, long size) {
        return "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%d}".formatted(mediaType, digest(n), size);
    }

    private static String image(int layers) {
        StringBuilder layerList = new StringBuilder();
        for (int i = 0; i < layers; i++) {
            layerList.append(i == 0 ? "" : ",")
                    .append(descriptor("application/vnd.oci.image.layer.v1.tar+gzip", 10 + i, 30_000_000L + i));
        }
        return """
                {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
                 "config":%s,"layers":[%s],
                 "annotations":{"org.opencontainers.image.created":"2026-01-01T00:00:00Z",
                                "org.opencontainers.image.source":"https://example.com/app"}}"""
                .formatted(descriptor("application/vnd.oci.image.config.v1+json", 1, 1469), layerList);
    }

    private static String referrer() {
        return """
                {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
                 "artifactType":"application/vnd.example.signature.v1+json",
                 "config":{"mediaType":"application/vnd.oci.empty.v1+json",
                   "digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},
                 "layers":[%s],"subject":%s}"""
                .formatted(descriptor("application/vnd.example.signature.v1+json", 2, 512),
                        descriptor("application/vnd.oci.image.manifest.v1+json", 3, 1200));
    }

    private static String index(int platforms) {
        String[] architectures = {"amd64", "arm64", "arm", "ppc64le", "s390x", "riscv64"};
        StringBuilder manifests = new StringBuilder();
        for (int i = 0; i < platforms; i++) {
            String d = descriptor("application/vnd.oci.image.manifest.v1+json", 20 + i, 1000 + i);
            manifests.append(i == 0 ? "" : ",").append(d, 0, d.length() - 1)
                    .append(",\"platform\":{\"architecture\":\"").append(architectures[i % architectures.length])
                    .append("\",\"os\":\"linux\"}}");
        }
        return """
                {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s]}"""
                .formatted(manifests);
    }
}
