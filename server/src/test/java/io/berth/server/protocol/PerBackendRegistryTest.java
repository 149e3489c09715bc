package io.berth.server.protocol;

import static java.lang.annotation.ElementType.TYPE;
import static java.lang.annotation.RetentionPolicy.RUNTIME;

import io.berth.server.Config;
import io.berth.server.testing.TestRegistry;
import java.lang.annotation.Retention;
import java.lang.annotation.Target;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A protocol test class that runs once per {@link Setup} (SQLite, PostgreSQL, PostgreSQL with S3), each run against
 * a registry of its own: started before the run's first test and closed (data directory deleted, database dropped)
 * after its last. The tests of a run share that registry, so each works in repositories of its own
 * ({@link TestContent#uniqueRepository}).
 *
 * <p>Subclasses inherit {@code @ParameterizedClass} and {@code @EnumSource} and must not repeat them. One that needs
 * more setup per run declares its own {@link BeforeParameterizedClassInvocation} method, which JUnit runs after
 * {@link #startRegistry}; under another name, because JUnit would run a static method that hides this one as well
 * as this one, starting two registries.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Setup.class)
// registry and client are static (methods run per class invocation must be), so every subclass sets the same two
// fields: the lock keeps two subclasses from running at once, also if JUnit is ever told to run classes in parallel.
@ResourceLock("io.berth.server.protocol.PerBackendRegistryTest")
abstract class PerBackendRegistryTest {
    /** The page size of referrer lists in the registry of a test class so annotated, instead of the server's default. */
    @Retention(RUNTIME)
    @Target(TYPE)
    @interface ReferrersPageSize {
        int value();
    }

    /** This run's setup, for a test that starts a registry of its own. */
    @Parameter
    Setup setup;

    static TestRegistry registry;
    static RegistryClient client;

    @BeforeParameterizedClassInvocation
    static void startRegistry(Setup setup, TestInfo testInfo) {
        ReferrersPageSize pageSize = testInfo.getTestClass().orElseThrow().getAnnotation(ReferrersPageSize.class);
        UnaryOperator<Config> tweak = pageSize == null
                ? UnaryOperator.identity()
                : config -> config.withReferrersPageSize(pageSize.value());
        registry = setup.start(tweak);
        client = new RegistryClient(registry.url());
    }

    @AfterParameterizedClassInvocation
    static void stopRegistry() {
        if (registry != null) {
            registry.close();
            registry = null;
            client = null;
        }
    }
}
