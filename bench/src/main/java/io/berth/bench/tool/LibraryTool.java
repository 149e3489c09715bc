package io.berth.bench.tool;

import io.berth.client.BlobSource;
import io.berth.client.ImageReference;
import io.berth.client.ProgressListener;
import io.berth.client.PulledManifest;
import io.berth.client.RegistryClient;
import io.berth.client.Repository;
import io.berth.oci.Descriptor;
import io.berth.oci.Manifest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Stands in for the {@code berth copy} and {@code berth pull} commands until they exist: the same work done with
 * the client library only, so that the client comparison can time the library, one JVM per invocation as the CLI
 * would be. Prints {@code elapsed-ns N} (the work alone, without the JVM's start) on its last line.
 *
 * <pre>
 * copy [--plain-http] SRC DST [SRC DST ...]   every platform, blobs in parallel, those the destination has skipped
 * pull [--plain-http] REF DIR                 manifest, config and layers into DIR/blobs/sha256/
 * </pre>
 */
public final class LibraryTool {
    /** Blobs in flight at once, as skopeo's default. */
    private static final int PARALLEL_BLOBS = 6;

    private LibraryTool() {
    }

    public static void main(String[] args) throws Exception {
        // Read before the first HttpClient exists. The JDK client reads bodies in 16 KiB buffers, each a hand-off
        // between its selector thread and the reader; 1 MiB ones cut the client's CPU per copied image by about a
        // third and a 1 GiB pull from ~2.4 s to ~1.8 s here. The CLI's main needs the same.
        setIfAbsent("jdk.httpclient.bufsize", Integer.toString(1 << 20));
        setIfAbsent("jdk.httpclient.receiveBufferSize", Integer.toString(4 << 20));
        List<String> rest = new ArrayList<>(List.of(args));
        if (rest.isEmpty()) {
            usage();
        }
        String command = rest.removeFirst();
        boolean plainHttp = rest.remove("--plain-http");
        long began = System.nanoTime();
        switch (command) {
            case "copy" -> {
                if (rest.isEmpty() || rest.size() % 2 != 0) {
                    usage();
                }
                try (ExecutorService pool = Executors.newFixedThreadPool(PARALLEL_BLOBS)) {
                    for (int i = 0; i < rest.size(); i += 2) {
                        copy(ImageReference.parse(rest.get(i)).orLatest(),
                                ImageReference.parse(rest.get(i + 1)).orLatest(), plainHttp, pool);
                    }
                }
            }
            case "pull" -> {
                if (rest.size() != 2) {
                    usage();
                }
                pull(ImageReference.parse(rest.get(0)).orLatest(), Path.of(rest.get(1)), plainHttp);
            }
            default -> usage();
        }
        System.out.println("elapsed-ns " + (System.nanoTime() - began));
    }

    private static void setIfAbsent(String property, String value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, value);
        }
    }

    private static void usage() {
        System.err.println("usage: copy [--plain-http] SRC DST [SRC DST ...] | pull [--plain-http] REF DIR");
        System.exit(2);
    }

    private static RegistryClient client(String registry, boolean plainHttp) {
        return RegistryClient.builder(registry).plainHttp(plainHttp).build();
    }

    static void copy(ImageReference from, ImageReference to, boolean plainHttp, ExecutorService pool)
            throws Exception {
        try (RegistryClient sourceRegistry = client(from.registry(), plainHttp);
             RegistryClient targetRegistry = client(to.registry(), plainHttp)) {
            Repository source = sourceRegistry.repository(from.repository());
            Repository target = targetRegistry.repository(to.repository());
            PulledManifest top = source.pullManifest(from.reference());
            copyManifest(source, target, top, pool);
            target.pushManifest(to.reference(), top.bytes(), top.descriptor().mediaType());
        }
    }

    /** The blobs of a manifest (of every child of an index, children pushed by digest), not the manifest itself. */
    private static void copyManifest(Repository source, Repository target, PulledManifest pulled,
                                     ExecutorService pool) throws Exception {
        Manifest manifest = pulled.parsed();
        if (manifest.isIndex()) {
            for (Descriptor child : manifest.children()) {
                PulledManifest childManifest = source.pullManifest(child.digest().toString());
                copyManifest(source, target, childManifest, pool);
                target.pushManifest(child.digest().toString(), childManifest.bytes(), child.mediaType());
            }
            return;
        }
        List<Descriptor> blobs = new ArrayList<>(manifest.layers());
        if (manifest.config() != null) {
            blobs.add(manifest.config());
        }
        List<Future<?>> copies = new ArrayList<>();
        for (Descriptor blob : blobs) {
            copies.add(pool.submit(() -> {
                if (!target.hasBlob(blob.digest())) {
                    target.pushBlob(blob, streamed(source, blob), ProgressListener.NONE);
                }
                return null;
            }));
        }
        for (Future<?> copy : copies) {
            copy.get();
        }
    }

    /** The source registry's blob as the upload's body, reopened from any offset a resumed upload needs. */
    private static BlobSource streamed(Repository source, Descriptor blob) {
        return new BlobSource() {
            @Override
            public long size() {
                return blob.size();
            }

            @Override
            public InputStream open(long offset) throws IOException {
                return source.relayBlob(blob, offset);
            }
        };
    }

    static void pull(ImageReference image, Path dir, boolean plainHttp) throws Exception {
        try (RegistryClient registry = client(image.registry(), plainHttp)) {
            pull(registry.repository(image.repository()), image, dir);
        }
    }

    private static void pull(Repository source, ImageReference image, Path dir) throws Exception {
        PulledManifest pulled = source.pullManifest(image.reference());
        Manifest manifest = pulled.parsed();
        if (manifest.isIndex()) {
            throw new IllegalArgumentException("pull takes an image manifest here, not an index");
        }
        Path blobs = Files.createDirectories(dir.resolve("blobs").resolve("sha256"));
        Files.write(blobs.resolve(pulled.descriptor().digest().hex()), pulled.bytes());
        List<Descriptor> all = new ArrayList<>(manifest.layers());
        all.add(manifest.config());
        for (Descriptor blob : all) {
            source.pullBlob(blob, blobs.resolve(blob.digest().hex()), ProgressListener.NONE);
        }
        Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}", StandardCharsets.UTF_8);
    }
}
