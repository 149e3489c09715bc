package io.berth.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.s3.S3Settings;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigTest {
    @TempDir
    Path dir;

    @Test
    void defaultsServeLoopbackPort5000WithSqliteUnderTheDataDirectory() {
        Config config = Config.DEFAULTS;
        assertThat(config.host()).isEqualTo("127.0.0.1");
        assertThat(config.port()).isEqualTo(5000);
        assertThat(config.effectiveMetadataUrl()).startsWith("jdbc:sqlite:").endsWith("berth-data/metadata.db");
        assertThat(config.effectiveStoragePath()).isEqualTo(Path.of("berth-data"));
    }

    @Test
    void yamlThenEnvironmentThenCommandLineEachWin() throws Exception {
        Path file = dir.resolve("berth.yaml");
        Files.writeString(file, """
                listen: 0.0.0.0:6000
                data: /srv/yaml
                metadata:
                  url: jdbc:postgresql://db:5432/berth
                  username: berth
                uploads:
                  expiry: 2h
                manifests:
                  allowSparseIndex: true
                referrers:
                  pageSize: 50
                """);
        Main.Serve serve = new Main.Serve();
        serve.configOptions.configFile = file;
        serve.listen = "127.0.0.1:7000";
        Config config = serve.load(Map.of("BERTH_DATA", "/srv/env", "BERTH_UPLOADS_EXPIRY", "30m"));
        assertThat(config.host()).isEqualTo("127.0.0.1");
        assertThat(config.port()).isEqualTo(7000);
        assertThat(config.data()).isEqualTo(Path.of("/srv/env"));
        assertThat(config.metadataUrl()).isEqualTo("jdbc:postgresql://db:5432/berth");
        assertThat(config.metadataUsername()).isEqualTo("berth");
        assertThat(config.uploadExpiry()).isEqualTo(Duration.ofMinutes(30));
        assertThat(config.allowSparseIndex()).isTrue();
        assertThat(config.referrersPageSize()).isEqualTo(50);
    }

    @Test
    void theConfigFileCanComeFromTheEnvironment() throws Exception {
        Path file = dir.resolve("env.yaml");
        Files.writeString(file, "listen: 127.0.0.1:5999\n");
        Config config = new Main.Serve().load(Map.of("BERTH_CONFIG", file.toString()));
        assertThat(config.port()).isEqualTo(5999);
    }

    @Test
    void unknownKeysAreRejectedByName() throws Exception {
        Path file = dir.resolve("typo.yaml");
        Files.writeString(file, "metadata:\n  uri: jdbc:sqlite:x\n");
        assertThatThrownBy(() -> Config.DEFAULTS.withYaml(file)).hasMessageContaining("metadata.uri");
        Files.writeString(file, "lisen: 1\n");
        assertThatThrownBy(() -> Config.DEFAULTS.withYaml(file)).hasMessageContaining("lisen");
    }

    @Test
    void durationsAndAddressesAreParsedOrRejectedClearly() {
        assertThat(Config.parseDuration("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(Config.parseDuration("7d")).isEqualTo(Duration.ofDays(7));
        assertThat(Config.parseDuration("PT1H")).isEqualTo(Duration.ofHours(1));
        assertThat(Config.parseDuration("0")).as("a schedule switched off").isEqualTo(Duration.ZERO);
        assertThatThrownBy(() -> Config.parseDuration("soon")).hasMessageContaining("soon");
        assertThat(Config.DEFAULTS.withListen("[::1]:5001").host()).isEqualTo("::1");
        assertThatThrownBy(() -> Config.DEFAULTS.withListen("nowhere")).hasMessageContaining("HOST:PORT");
    }

    @Test
    void shutdownAndMetricsSectionsSetTheDrainDelayAndWhoMayReadMetrics() throws Exception {
        assertThat(Config.DEFAULTS.drainDelay()).isEqualTo(Duration.ofSeconds(5));
        assertThat(Config.DEFAULTS.metrics()).isEqualTo(MetricsConfig.DEFAULTS);
        assertThat(MetricsConfig.DEFAULTS.access()).isEqualTo(MetricsConfig.Access.PUBLIC);
        Path file = dir.resolve("ops.yaml");
        Files.writeString(file, """
                shutdown:
                  drainDelay: 15s
                metrics:
                  access: token
                  token: from-the-file
                """);

        Config config = Config.DEFAULTS.withYaml(file);
        Config fromEnvironment = config.withEnvironment(Map.of("BERTH_SHUTDOWN_DRAIN_DELAY", "0",
                "BERTH_METRICS_TOKEN", "from-the-environment"));

        assertThat(config.drainDelay()).isEqualTo(Duration.ofSeconds(15));
        assertThat(config.metrics()).isEqualTo(new MetricsConfig(true, MetricsConfig.Access.TOKEN, "from-the-file"));
        assertThat(fromEnvironment.drainDelay()).isEqualTo(Duration.ZERO);
        assertThat(fromEnvironment.metrics().token()).isEqualTo("from-the-environment");
        assertThat(Config.DEFAULTS.withEnvironment(Map.of("BERTH_METRICS_ENABLED", "false")).metrics().enabled())
                .isFalse();
    }

    @Test
    void metricsAndShutdownMistakesAreRejectedWithTheirKey() throws Exception {
        Path file = dir.resolve("bad-ops.yaml");
        Files.writeString(file, "metrics:\n  access: token\n");
        assertThatThrownBy(() -> Config.DEFAULTS.withYaml(file)).hasMessageContaining("metrics.token");
        Files.writeString(file, "metrics:\n  token: secret\n");
        assertThatThrownBy(() -> Config.DEFAULTS.withYaml(file)).hasMessageContaining("metrics.access: token");
        Files.writeString(file, "metrics:\n  access: everyone\n");
        assertThatThrownBy(() -> Config.DEFAULTS.withYaml(file)).hasMessageContaining("public, admin or token");
        Files.writeString(file, "metrics:\n  enabled: yes please\n");
        assertThatThrownBy(() -> Config.DEFAULTS.withYaml(file)).hasMessageContaining("metrics.enabled");
        Files.writeString(file, "shutdown:\n  drainDelay: -5s\n");
        assertThatThrownBy(() -> Config.DEFAULTS.withYaml(file)).hasMessageContaining("shutdown.drainDelay");
        Files.writeString(file, "shutdown:\n  delay: 5s\n");
        assertThatThrownBy(() -> Config.DEFAULTS.withYaml(file)).hasMessageContaining("shutdown.delay");
    }

    @Test
    void theTlsSectionNamesCertificateKeyAndClientAuthorities() throws Exception {
        Path file = dir.resolve("tls.yaml");
        Files.writeString(file, """
                tls:
                  cert: /etc/berth/server.crt
                  key: /etc/berth/server.key
                  clientCa: /etc/berth/clients.pem
                  clientAuth: require
                """);
        TlsConfig tls = Config.DEFAULTS.withYaml(file).tls();
        assertThat(tls).isEqualTo(new TlsConfig(Path.of("/etc/berth/server.crt"), Path.of("/etc/berth/server.key"),
                Path.of("/etc/berth/clients.pem"), true));
        assertThat(tls.enabled()).isTrue();

        Files.writeString(file, "tls:\n  cert: a.crt\n  key: a.key\n  clientCa: ca.pem\n");
        assertThat(Config.DEFAULTS.withYaml(file).tls().requireClientCertificate()).as("optional by default").isFalse();
        assertThat(Config.DEFAULTS.tls().enabled()).isFalse();
    }

    @Test
    void tlsMistakesAreRejectedRatherThanWeakened() throws Exception {
        Path file = dir.resolve("tls.yaml");
        Files.writeString(file, "tls:\n  cert: a.crt\n  key: a.key\n  clientCa: ca.pem\n  clientAuth: requried\n");
        assertThatThrownBy(() -> Config.DEFAULTS.withYaml(file)).hasMessageContaining("tls.clientAuth")
                .hasMessageContaining("requried");
        Files.writeString(file, "tls:\n  cert: a.crt\n");
        assertThatThrownBy(() -> Config.DEFAULTS.withYaml(file))
                .hasMessageContaining("both a certificate and a private key");
        Files.writeString(file, "tls:\n  cert: a.crt\n  key: a.key\n  clientAuth: require\n");
        assertThatThrownBy(() -> Config.DEFAULTS.withYaml(file)).hasMessageContaining("clientCa");
    }

    @Test
    void tlsSettingsComeFromYamlEnvironmentAndCommandLineInThatOrder() throws Exception {
        Path file = dir.resolve("tls.yaml");
        Files.writeString(file, "tls:\n  cert: yaml.crt\n  key: yaml.key\n");
        Main.Serve serve = new Main.Serve();
        serve.configOptions.configFile = file;
        serve.tlsClientAuth = "require";
        Config config = serve.load(Map.of("BERTH_TLS_KEY", "env.key", "BERTH_TLS_CLIENT_CA", "env-ca.pem"));
        assertThat(config.tls()).isEqualTo(new TlsConfig(Path.of("yaml.crt"), Path.of("env.key"), Path.of("env-ca.pem"),
                true));
    }

    @Test
    void garbageCollectionLifecycleAndImmutabilitySectionsAreRead() throws Exception {
        Path file = dir.resolve("policies.yaml");
        Path policyFile = dir.resolve("ecr.json");
        Files.writeString(policyFile, "{\"rules\":[]}");
        Files.writeString(file, """
                gc:
                  interval: 30m
                  grace: 2h
                  untagged:
                    - repositories: ["ci/**"]
                      olderThan: 1d
                lifecycle:
                  - repositories: ["team/**"]
                    policy:
                      rules:
                        - rulePriority: 1
                          selection: {tagStatus: untagged, countType: sinceImagePushed, countUnit: days, countNumber: 7}
                          action: {type: expire}
                  - repositories: ["ops/*"]
                    policyFile: %s
                immutableTags:
                  - repositories: ["release/**"]
                    except: ["latest", "*-SNAPSHOT"]
                """.formatted(policyFile));
        Config config = Config.DEFAULTS.withYaml(file);
        assertThat(config.gc().interval()).isEqualTo(Duration.ofMinutes(30));
        assertThat(config.gc().grace()).isEqualTo(Duration.ofHours(2));
        assertThat(config.gc().referrersDelay()).isEqualTo(Duration.ofHours(24));
        assertThat(config.gc().untagged()).containsExactly(
                new GcConfig.UntaggedRule(java.util.List.of("ci/**"), Duration.ofDays(1)));
        assertThat(config.lifecycle()).hasSize(2);
        assertThat(config.lifecycle().get(0).policyJson()).contains("\"rulePriority\":1", "\"tagStatus\":\"untagged\"");
        assertThat(config.lifecycle().get(1).policyJson()).isEqualTo("{\"rules\":[]}");
        assertThat(config.immutableTags()).containsExactly(new ImmutableTagsRule(java.util.List.of("release/**"),
                java.util.List.of("latest", "*-SNAPSHOT")));
    }

    @Test
    void anImmutableTagsRuleWithoutRepositoriesIsRejected() throws Exception {
        Path file = dir.resolve("immutable.yaml");
        Files.writeString(file, "immutableTags:\n  - except: [latest]\n");
        assertThatThrownBy(() -> Config.DEFAULTS.withYaml(file)).hasMessageContaining("immutableTags needs repositories");
    }

    @Test
    void quotasAreReadWithSizesInDecimalOrBinaryUnits() throws Exception {
        Path file = dir.resolve("quotas.yaml");
        Files.writeString(file, """
                quotas:
                  - repositories: ["team/**"]
                    maxBytes: 10GiB
                    maxImages: 500
                  - repositories: ["ci/*", "tmp/**"]
                    maxBytes: 500MB
                  - repositories: ["tiny"]
                    maxBytes: 1024
                """);
        assertThat(Config.DEFAULTS.withYaml(file).quotas()).containsExactly(
                new QuotaRule(java.util.List.of("team/**"), 10L * 1024 * 1024 * 1024, 500L),
                new QuotaRule(java.util.List.of("ci/*", "tmp/**"), 500_000_000L, null),
                new QuotaRule(java.util.List.of("tiny"), 1024L, null));
    }

    @Test
    void aQuotaWithoutALimitOrWithABadSizeIsRejectedNamingTheField() throws Exception {
        Path file = dir.resolve("quotas.yaml");
        Files.writeString(file, "quotas:\n  - repositories: [\"a/**\"]\n");
        assertThatThrownBy(() -> Config.DEFAULTS.withYaml(file)).hasMessageContaining("maxBytes, maxImages or both");
        Files.writeString(file, "quotas:\n  - repositories: [\"a/**\"]\n    maxBytes: 10 gigabytes\n");
        assertThatThrownBy(() -> Config.DEFAULTS.withYaml(file))
                .hasMessageContaining("quotas[].maxBytes: not a size: 10 gigabytes");
        Files.writeString(file, "quotas:\n  - repositories: [\"a/**\"]\n    maxImages: many\n");
        assertThatThrownBy(() -> Config.DEFAULTS.withYaml(file)).hasMessageContaining("quotas[].maxImages");
        Files.writeString(file, "quotas:\n  - maxImages: 3\n");
        assertThatThrownBy(() -> Config.DEFAULTS.withYaml(file)).hasMessageContaining("quotas needs repositories");
    }

    @Test
    void theAuthSectionIsRead() throws Exception {
        Path file = dir.resolve("auth.yaml");
        Files.writeString(file, """
                auth:
                  htpasswd: /etc/berth/htpasswd
                  users:
                    - name: alice
                      password: "$2y$10$abcdefghijklmnopqrstuuS9eRdLz2V7KzLbDU7r0U1LaYpWkqYmi"
                      groups: [dev]
                  groups:
                    dev: [bob]
                  access:
                    - repositories: ["team/**"]
                      subjects: ["group:dev"]
                      actions: [pull, push]
                  trustedProxies: ["10.0.0.0/8"]
                  token:
                    service: registry.example.com
                    realm: https://registry.example.com/token
                    ttl: 10m
                    signingKey: /etc/berth/token-key.pem
                    verificationKeys: [/etc/berth/old-token-key.pem]
                    external:
                      - issuer: https://auth.example.com
                        jwks: /etc/berth/jwks.json
                """);
        AuthConfig auth = Config.DEFAULTS.withYaml(file).auth();
        assertThat(auth.enabled()).isTrue();
        assertThat(auth.htpasswd()).isEqualTo(Path.of("/etc/berth/htpasswd"));
        assertThat(auth.users()).extracting(AuthConfig.User::name).containsExactly("alice");
        assertThat(auth.users().getFirst().groups()).containsExactly("dev");
        assertThat(auth.groups()).containsEntry("dev", java.util.List.of("bob"));
        assertThat(auth.access()).containsExactly(new AuthConfig.AccessRule(java.util.List.of("team/**"),
                java.util.List.of("group:dev"), java.util.List.of("pull", "push")));
        assertThat(auth.trustedProxies()).containsExactly("10.0.0.0/8");
        assertThat(auth.service()).isEqualTo("registry.example.com");
        assertThat(auth.realm()).isEqualTo("https://registry.example.com/token");
        assertThat(auth.tokenTtl()).isEqualTo(Duration.ofMinutes(10));
        assertThat(auth.externalIssuers()).containsExactly(new AuthConfig.ExternalIssuer("https://auth.example.com",
                "registry.example.com", null, Path.of("/etc/berth/jwks.json")));
        assertThat(auth.signingKey()).isEqualTo(Path.of("/etc/berth/token-key.pem"));
        assertThat(auth.verificationKeys()).containsExactly(Path.of("/etc/berth/old-token-key.pem"));
        assertThat(Config.DEFAULTS.withYaml(file).withEnvironment(Map.of("BERTH_AUTH_TOKEN_SIGNING_KEY",
                "/run/secrets/token-key.pem")).auth()).satisfies(fromEnvironment -> {
                    assertThat(fromEnvironment.signingKey()).isEqualTo(Path.of("/run/secrets/token-key.pem"));
                    assertThat(fromEnvironment.verificationKeys()).isEqualTo(auth.verificationKeys());
                });
        Files.writeString(file, "auth:\n  tokens: {}\n");
        assertThatThrownBy(() -> Config.DEFAULTS.withYaml(file)).hasMessageContaining("unknown key 'auth.tokens'");
    }

    @Test
    void s3StorageIsReadFromTheStorageSectionWithCredentialsFromTheEnvironment() throws Exception {
        Path file = dir.resolve("s3.yaml");
        Files.writeString(file, """
                storage:
                  type: s3
                  bucket: registry-blobs
                  prefix: berth
                  region: eu-central-1
                  endpoint: http://127.0.0.1:9000
                  pathStyle: true
                  storageClass: STANDARD_IA
                  accessKey: key
                """);
        Config config = new Main.Serve().load(Map.of("BERTH_CONFIG", file.toString(),
                "BERTH_STORAGE_SECRET_KEY", "secret"));

        assertThat(config.storage()).isEqualTo(new StorageConfig.S3(new S3Settings("registry-blobs", "berth/",
                "eu-central-1", URI.create("http://127.0.0.1:9000"), true, "key", "secret", "STANDARD_IA", null)));
        assertThat(config.effectiveStoragePath()).isNull();
        assertThat(config.storage().toString()).doesNotContain("secret");
    }

    @Test
    void blobDownloadsAreRedirectedForTwentyMinutesUnlessTheExpirySaysOtherwise() throws Exception {
        Path file = dir.resolve("redirect.yaml");
        Files.writeString(file, "storage:\n  type: s3\n  bucket: b\n  redirect: true\n");
        assertThat(((StorageConfig.S3) Config.DEFAULTS.withYaml(file).storage()).settings().redirect())
                .isEqualTo(Duration.ofMinutes(20));
        Files.writeString(file, "storage:\n  type: s3\n  bucket: b\n  redirect: true\n  redirectExpiry: 5m\n");
        assertThat(((StorageConfig.S3) Config.DEFAULTS.withYaml(file).storage()).settings().redirect())
                .isEqualTo(Duration.ofMinutes(5));
        Files.writeString(file, "storage:\n  type: s3\n  bucket: b\n");
        assertThat(((StorageConfig.S3) Config.DEFAULTS.withYaml(file).storage()).settings().redirect()).isNull();
    }

    @Test
    void theStorageSectionDefaultsToTheFilesystem() throws Exception {
        Path file = dir.resolve("fs.yaml");
        Files.writeString(file, "storage:\n  path: /srv/blobs\n");
        assertThat(Config.DEFAULTS.withYaml(file).storage()).isEqualTo(new StorageConfig.FileSystem(Path.of("/srv/blobs")));
    }

    @Test
    void invalidStorageSettingsAreRefusedWithTheirReason() throws Exception {
        Path file = dir.resolve("bad.yaml");
        Map<String, String> refusals = Map.of(
                "storage:\n  type: gcs\n", "storage.type must be filesystem or s3, got 'gcs'",
                "storage:\n  type: s3\n", "storage.bucket is required for storage type s3",
                "storage:\n  bucket: b\n", "storage.bucket needs storage.type: s3",
                "storage:\n  type: s3\n  bucket: b\n  path: /srv\n", "storage.path is for storage.type: filesystem",
                "storage:\n  type: s3\n  bucket: b\n  endpoint: localhost:9000\n", "storage.endpoint must be an http",
                "storage:\n  type: s3\n  bucket: b\n  storageClass: COLD\n", "'COLD' is not an S3 storage class",
                "storage:\n  type: s3\n  bucket: b\n  pathStyle: yes please\n", "storage.pathStyle must be true or false",
                "storage:\n  type: s3\n  bucket: b\n  secret: s\n", "unknown key 'storage.secret'",
                "storage:\n  type: s3\n  bucket: b\n  redirectExpiry: 5m\n", "needs storage.redirect: true",
                "storage:\n  type: s3\n  bucket: b\n  redirect: true\n  redirectExpiry: 8d\n", "at most 7 days");
        for (Map.Entry<String, String> refusal : refusals.entrySet()) {
            Files.writeString(file, refusal.getKey());
            assertThatThrownBy(() -> Config.DEFAULTS.withYaml(file)).as(refusal.getKey())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(refusal.getValue());
        }
        assertThatThrownBy(() -> Config.DEFAULTS.withEnvironment(Map.of("BERTH_STORAGE_ACCESS_KEY", "k")))
                .hasMessageContaining("need storage.type: s3");
    }
}
