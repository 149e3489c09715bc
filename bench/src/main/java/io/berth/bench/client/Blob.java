package io.berth.bench.client;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/** Blob content held in memory, with its digest computed once. */
public record Blob(String mediaType, String digest, byte[] content) {

    /** The OCI empty descriptor's content, {@code {}}: the config of artifacts that have none. */
    public static final Blob EMPTY_CONFIG = of("application/vnd.oci.empty.v1+json",
            "{}".getBytes(StandardCharsets.UTF_8));

    public static Blob of(String mediaType, byte[] content) {
        return new Blob(mediaType, Sha256.of(content), content);
    }

    public static Blob random(String mediaType, int size, SplittableRandom random) {
        byte[] content = new byte[size];
        random.nextBytes(content);
        return of(mediaType, content);
    }

    public int size() {
        return content.length;
    }
}
