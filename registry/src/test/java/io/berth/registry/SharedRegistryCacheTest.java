package io.berth.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.oci.Digest;
import io.berth.oci.MediaTypes;
import io.berth.registry.blob.FileSystemBlobStore;
import io.berth.registry.metadata.MetadataStore;
import io.berth.registry.metadata.SqlMetadataStore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/**
 * Two registries on one metadata store with {@link RegistryOptions#sharedMetadata}, as two servers on one PostgreSQL
 * database: what one writes, the other serves from the next read on, while it reads from the database no more than
 * one indexed row per read when nothing changed.
 */
class SharedRegistryCacheTest {
    @TempDir
    Path root;
    private ManifestFixture fixture;
    private Registry writer;
    private Registry reader;
    /** Calls the reader made to the metadata store, by method name. */
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

    @BeforeEach
    void open() throws Exception {
        fixture = new ManifestFixture(root, "repo");
        RegistryOptions shared = new RegistryOptions(false, RegistryOptions.DEFAULTS.uploadExpiry(), 1000, true,
                TagImmutability.NONE, false, Quotas.NONE);
        FileSystemBlobStore blobs = new FileSystemBlobStore(root);
        writer = new Registry(blobs, fixture.metadata, shared);
        reader = new Registry(blobs, counting(fixture.metadata), shared);
    }

    @AfterEach
    void close() {
        fixture.close();
    }

    private MetadataStore counting(SqlMetadataStore store) {
        return (MetadataStore) Proxy.newProxyInstance(MetadataStore.class.getClassLoader(),
                new Class<?>[] {MetadataStore.class}, (proxy, method, args) -> {
                    calls.computeIfAbsent(method.getName(), name -> new AtomicInteger()).incrementAndGet();
                    try {
                        return method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private int calls(String method) {
        AtomicInteger count = calls.get(method);
        return count == null ? 0 : count.get();
    }

    private Digest push(String reference, byte[] payload) {
        return writer.putManifest("repo", reference, MediaTypes.OCI_MANIFEST, payload, List.of()).digest();
    }

    @Test
    void aTagMovedThroughOneIsServedByTheOtherAtOnceWithItsBytesFromMemory() {
        for (int i = 0; i < 50; i++) {
            Digest pushed = push("latest", fixture.manifest("n" + i, null));
            assertThat(reader.manifest("repo", "latest").digest()).isEqualTo(pushed);
            assertThat(reader.manifest("repo", "latest").digest()).isEqualTo(pushed);
            assertThat(reader.cachedManifest("repo", "latest")).as("memory alone never answers").isEmpty();
        }
        assertThat(calls("resolveTag")).isEqualTo(100);
        assertThat(calls("manifest")).as("bytes loaded once per digest").isEqualTo(50);
    }

    @Test
    void aManifestDeletedThroughOneIsGoneFromTheOther() {
        byte[] payload = fixture.manifest("gone", null);
        Digest digest = push("v1", payload);
        assertThat(reader.manifest("repo", digest.toString()).payload()).isEqualTo(payload);
        assertThat(reader.manifest("repo", "v1").payload()).isEqualTo(payload);

        writer.deleteManifest("repo", digest.toString());

        for (String reference : List.of(digest.toString(), "v1")) {
            assertThatThrownBy(() -> reader.manifest("repo", reference))
                    .isInstanceOfSatisfying(RegistryException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.MANIFEST_UNKNOWN));
        }
        assertThat(reader.cachedManifest("repo", digest.toString())).isEmpty();
    }

    @Test
    void listingsFollowTheOthersChangesAndAreReadOnceWhileNothingChanges() {
        Digest subject = push("v1", fixture.manifest("subject", null));
        assertThat(tags()).containsExactly("v1");
        assertThat(referrers(subject)).isEmpty();
        int listed = calls("tags") + calls("referrers");
        for (int i = 0; i < 10; i++) {
            assertThat(tags()).containsExactly("v1");
            assertThat(referrers(subject)).isEmpty();
        }
        assertThat(calls("tags") + calls("referrers")).as("pages kept while the repository's version stays")
                .isEqualTo(listed);

        push("v2", fixture.manifest("other", null));
        assertThat(tags()).containsExactly("v1", "v2");
        byte[] signature = fixture.manifest("sig", subject);
        Digest referrer = push(Digest.sha256(signature).toString(), signature);
        assertThat(referrers(subject)).containsExactly(referrer.toString());

        writer.deleteManifest("repo", "v2");
        assertThat(tags()).containsExactly("v1");
        writer.deleteManifest("repo", referrer.toString());
        assertThat(referrers(subject)).isEmpty();
        assertThat(reader.cachedTags("repo", null, 10)).isEmpty();
        assertThat(reader.cachedReferrers("repo", subject, null, null, 10)).isEmpty();
    }

    private List<String> tags() {
        return JsonMapper.builder().build().readTree(reader.tags("repo", null, 10).json()).get("tags").valueStream()
                .map(tag -> tag.asString()).toList();
    }

    private List<String> referrers(Digest subject) {
        return JsonMapper.builder().build().readTree(reader.referrers("repo", subject, null, null, 100).json())
                .get("manifests").valueStream().map(descriptor -> descriptor.get("digest").asString()).toList();
    }
}
