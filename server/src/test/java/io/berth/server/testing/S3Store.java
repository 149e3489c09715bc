package io.berth.server.testing;

import io.berth.s3.S3Proxy;
import io.berth.s3.S3Settings;
import io.berth.server.Config;
import io.berth.server.StorageConfig;
import java.lang.reflect.Modifier;
import java.util.List;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * An S3 object store for a test class: one s3proxy process on loopback, started when a test first asks for a bucket
 * (so a class whose S3 case is skipped never starts it) and stopped after the class. Register it with
 * {@code @RegisterExtension static final S3Store s3 = new S3Store();}. Each {@link #bucket} is a fresh bucket, so
 * tests of a class do not see each other's objects. Where s3proxy cannot run the test is skipped (failed in CI).
 *
 * <p>{@link #shared()} is the one store of the whole test JVM instead, for a suite of many classes that would
 * otherwise start s3proxy once per class.
 */
public final class S3Store implements AfterAllCallback {
    private static S3Store shared;

    private final boolean jvmWide;
    private S3Proxy proxy;

    public S3Store() {
        this(false);
    }

    private S3Store(boolean jvmWide) {
        this.jvmWide = jvmWide;
    }

    /**
     * The store shared by every test of this JVM: its s3proxy starts when a test first asks for a bucket and stops
     * when the JVM exits (a shutdown hook, which also runs when Surefire ends its fork), so it never outlives the
     * tests. Not for tests that pause or stop the process: they would take it from the others.
     */
    public static synchronized S3Store shared() {
        if (shared == null) {
            shared = new S3Store(true);
            Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(shared::stop));
        }
        return shared;
    }

    /** A new, empty bucket; settings for a store in it whose keys start with {@code prefix} (may be null). */
    public synchronized S3Settings bucket(String prefix) {
        return proxy().bucket("berth-" + UUID.randomUUID().toString().substring(0, 13), prefix);
    }

    /** A config change that stores blobs in a new bucket under {@code prefix}. */
    public UnaryOperator<Config> storageIn(String prefix) {
        S3Settings settings = bucket(prefix);
        return config -> config.withStorage(new StorageConfig.S3(settings));
    }

    /** The s3proxy process, started if need be. */
    public synchronized S3Proxy proxy() {
        if (proxy == null) {
            try {
                proxy = S3Proxy.start();
            } catch (Exception e) {
                throw new IllegalStateException("s3proxy did not start", e);
            }
        }
        return proxy;
    }

    /** The keys of the bucket's objects under {@code under} (the settings' prefix included). */
    public List<String> keys(S3Settings settings, String under) {
        String prefix = (settings.prefix() == null ? "" : settings.prefix()) + under;
        try (S3Client s3 = proxy().client()) {
            return s3.listObjectsV2Paginator(b -> b.bucket(settings.bucket()).prefix(prefix)).contents().stream()
                    .map(S3Object::key).toList();
        }
    }

    /** The keys of all the bucket's objects, under the settings' prefix or not. */
    public List<String> allKeys(S3Settings settings) {
        try (S3Client s3 = proxy().client()) {
            return s3.listObjectsV2Paginator(b -> b.bucket(settings.bucket())).contents().stream()
                    .map(S3Object::key).toList();
        }
    }

    @Override
    public synchronized void afterAll(ExtensionContext context) {
        // @Nested classes inherit the extension, and end before their enclosing class: only it stops the process.
        boolean nested = context.getTestClass()
                .map(type -> type.getEnclosingClass() != null && !Modifier.isStatic(type.getModifiers()))
                .orElse(false);
        if (!nested && !jvmWide) {
            stop();
        }
    }

    private synchronized void stop() {
        if (proxy != null) {
            proxy.close();
            proxy = null;
        }
    }
}
