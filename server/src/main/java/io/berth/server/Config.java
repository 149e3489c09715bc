package io.berth.server;

import io.berth.registry.ByteSizes;
import io.berth.registry.RegistryOptions;
import io.berth.s3.S3Settings;
import io.berth.server.events.NotificationsConfig;
import io.berth.server.events.NotificationsSection;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Everything a server needs to start. Sources, later ones winning: defaults, the YAML file, {@code BERTH_*}
 * environment variables, command-line options.
 *
 * @param metadataUrl      JDBC URL of the metadata database; null means SQLite at {@code <data>/metadata.db}
 * @param storage          where blobs are stored: the filesystem (by default under {@code <data>}) or S3
 * @param maxManifestBytes largest manifest accepted
 * @param allowAnonymous   serve without authentication on a non-loopback address
 * @param drainDelay       how long a server told to stop (SIGTERM) keeps serving while {@code /readyz} says it is
 *                         going, so that load balancers stop sending before it stops accepting
 */
public record Config(String host, int port, Path data, String metadataUrl, String metadataUsername,
                     String metadataPassword, StorageConfig storage, boolean allowSparseIndex, Duration uploadExpiry,
                     int referrersPageSize, int maxManifestBytes, AuthConfig auth, TlsConfig tls,
                     boolean allowAnonymous, GcConfig gc, List<LifecycleConfig> lifecycle,
                     List<ImmutableTagsRule> immutableTags, NotificationsConfig notifications,
                     List<QuotaRule> quotas, Duration drainDelay, MetricsConfig metrics) {

    /** Long enough for a load balancer checking every second or two to see a draining node twice. */
    private static final Duration DRAIN_DELAY = Duration.ofSeconds(5);

    public static final Config DEFAULTS = new Config("127.0.0.1", 5000, Path.of("berth-data"), null, null, null,
            StorageConfig.DEFAULT, false, Duration.ofHours(24), 1000, 4 * 1024 * 1024, AuthConfig.NONE, TlsConfig.NONE, false, GcConfig.DEFAULTS, List.of(), List.of(),
            NotificationsConfig.NONE, List.of(), DRAIN_DELAY, MetricsConfig.DEFAULTS);

    public String effectiveMetadataUrl() {
        return metadataUrl != null ? metadataUrl : "jdbc:sqlite:" + data.resolve("metadata.db").toAbsolutePath();
    }

    /** The directory of the filesystem blob store; null when blobs are stored elsewhere. */
    public Path effectiveStoragePath() {
        return storage instanceof StorageConfig.FileSystem(Path path) ? (path != null ? path : data) : null;
    }

    /** The registry's switches; {@code sharedMetadata} as {@link RegistryOptions#sharedMetadata}. */
    public RegistryOptions registryOptions(boolean sharedMetadata) {
        return new RegistryOptions(allowSparseIndex, uploadExpiry, referrersPageSize, sharedMetadata,
                new ImmutableTags(immutableTags), notifications.pulls(), new RepositoryQuotas(quotas));
    }

    public Config withListen(String listen) {
        int colon = listen.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("listen address must be HOST:PORT, got " + listen);
        }
        String host = listen.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(listen.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("listen port must be a number, got " + listen);
        }
        return new Config(host.isEmpty() ? "0.0.0.0" : host, port, data, metadataUrl, metadataUsername,
                metadataPassword, storage, allowSparseIndex, uploadExpiry, referrersPageSize, maxManifestBytes, auth, tls, allowAnonymous, gc, lifecycle, immutableTags, notifications, quotas, drainDelay, metrics);
    }

    public Config withData(Path data) {
        return new Config(host, port, data, metadataUrl, metadataUsername, metadataPassword, storage,
                allowSparseIndex, uploadExpiry, referrersPageSize, maxManifestBytes, auth, tls, allowAnonymous, gc, lifecycle, immutableTags, notifications, quotas, drainDelay, metrics);
    }

    public Config withMetadata(String url, String username, String password) {
        return new Config(host, port, data, url, username, password, storage, allowSparseIndex, uploadExpiry,
                referrersPageSize, maxManifestBytes, auth, tls, allowAnonymous, gc, lifecycle, immutableTags, notifications, quotas, drainDelay, metrics);
    }

    public Config withStoragePath(Path path) {
        return withStorage(new StorageConfig.FileSystem(path));
    }

    public Config withStorage(StorageConfig storage) {
        return new Config(host, port, data, metadataUrl, metadataUsername, metadataPassword, storage,
                allowSparseIndex, uploadExpiry, referrersPageSize, maxManifestBytes, auth, tls, allowAnonymous, gc, lifecycle, immutableTags, notifications, quotas, drainDelay, metrics);
    }

    public Config withAllowSparseIndex(boolean allowSparseIndex) {
        return new Config(host, port, data, metadataUrl, metadataUsername, metadataPassword, storage,
                allowSparseIndex, uploadExpiry, referrersPageSize, maxManifestBytes, auth, tls, allowAnonymous, gc, lifecycle, immutableTags, notifications, quotas, drainDelay, metrics);
    }

    public Config withUploadExpiry(Duration uploadExpiry) {
        return new Config(host, port, data, metadataUrl, metadataUsername, metadataPassword, storage,
                allowSparseIndex, uploadExpiry, referrersPageSize, maxManifestBytes, auth, tls, allowAnonymous, gc, lifecycle, immutableTags, notifications, quotas, drainDelay, metrics);
    }

    public Config withReferrersPageSize(int referrersPageSize) {
        return new Config(host, port, data, metadataUrl, metadataUsername, metadataPassword, storage,
                allowSparseIndex, uploadExpiry, referrersPageSize, maxManifestBytes, auth, tls, allowAnonymous, gc, lifecycle, immutableTags, notifications, quotas, drainDelay, metrics);
    }

    public Config withAuth(AuthConfig auth) {
        return new Config(host, port, data, metadataUrl, metadataUsername, metadataPassword, storage,
                allowSparseIndex, uploadExpiry, referrersPageSize, maxManifestBytes, auth, tls, allowAnonymous, gc, lifecycle, immutableTags, notifications, quotas, drainDelay, metrics);
    }

    public Config withTls(TlsConfig tls) {
        return new Config(host, port, data, metadataUrl, metadataUsername, metadataPassword, storage,
                allowSparseIndex, uploadExpiry, referrersPageSize, maxManifestBytes, auth, tls.validated(),
                allowAnonymous, gc, lifecycle, immutableTags, notifications, quotas, drainDelay, metrics);
    }

    public Config withAllowAnonymous(boolean allowAnonymous) {
        return new Config(host, port, data, metadataUrl, metadataUsername, metadataPassword, storage,
                allowSparseIndex, uploadExpiry, referrersPageSize, maxManifestBytes, auth, tls, allowAnonymous, gc, lifecycle, immutableTags, notifications, quotas, drainDelay, metrics);
    }

    public Config withGc(GcConfig gc) {
        return new Config(host, port, data, metadataUrl, metadataUsername, metadataPassword, storage,
                allowSparseIndex, uploadExpiry, referrersPageSize, maxManifestBytes, auth, tls, allowAnonymous, gc,
                lifecycle, immutableTags, notifications, quotas, drainDelay, metrics);
    }

    public Config withLifecycle(List<LifecycleConfig> lifecycle) {
        return new Config(host, port, data, metadataUrl, metadataUsername, metadataPassword, storage,
                allowSparseIndex, uploadExpiry, referrersPageSize, maxManifestBytes, auth, tls, allowAnonymous, gc,
                List.copyOf(lifecycle), immutableTags, notifications, quotas, drainDelay, metrics);
    }

    public Config withNotifications(NotificationsConfig notifications) {
        return new Config(host, port, data, metadataUrl, metadataUsername, metadataPassword, storage,
                allowSparseIndex, uploadExpiry, referrersPageSize, maxManifestBytes, auth, tls, allowAnonymous, gc,
                lifecycle, immutableTags, notifications, quotas, drainDelay, metrics);
    }

    public Config withQuotas(List<QuotaRule> quotas) {
        return new Config(host, port, data, metadataUrl, metadataUsername, metadataPassword, storage,
                allowSparseIndex, uploadExpiry, referrersPageSize, maxManifestBytes, auth, tls, allowAnonymous, gc,
                lifecycle, immutableTags, notifications, List.copyOf(quotas), drainDelay, metrics);
    }

    public Config withImmutableTags(List<ImmutableTagsRule> immutableTags) {
        return new Config(host, port, data, metadataUrl, metadataUsername, metadataPassword, storage,
                allowSparseIndex, uploadExpiry, referrersPageSize, maxManifestBytes, auth, tls, allowAnonymous, gc,
                lifecycle, List.copyOf(immutableTags), notifications, quotas, drainDelay, metrics);
    }

    public Config withDrainDelay(Duration drainDelay) {
        if (drainDelay.isNegative()) {
            throw new IllegalArgumentException("shutdown.drainDelay must not be negative");
        }
        return new Config(host, port, data, metadataUrl, metadataUsername, metadataPassword, storage,
                allowSparseIndex, uploadExpiry, referrersPageSize, maxManifestBytes, auth, tls, allowAnonymous, gc,
                lifecycle, immutableTags, notifications, quotas, drainDelay, metrics);
    }

    public Config withMetrics(MetricsConfig metrics) {
        return new Config(host, port, data, metadataUrl, metadataUsername, metadataPassword, storage,
                allowSparseIndex, uploadExpiry, referrersPageSize, maxManifestBytes, auth, tls, allowAnonymous, gc,
                lifecycle, immutableTags, notifications, quotas, drainDelay, metrics);
    }

    /** True when the listener is reachable only from this machine. */
    public boolean loopbackOnly() {
        try {
            return java.net.InetAddress.getByName(host).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    // ---- sources

    private static final Set<String> TOP_LEVEL = Set.of("listen", "data", "storage", "metadata", "uploads",
            "manifests", "referrers", "tls", "auth", "allowAnonymous", "gc", "lifecycle", "immutableTags",
            "notifications", "quotas", "shutdown", "metrics");

    /** Applies a YAML configuration file; unknown keys are errors, so a typo never passes silently. */
    public Config withYaml(Path file) throws IOException {
        JsonNode root = new YAMLMapper().readTree(Files.readAllBytes(file));
        if (root == null || root.isMissingNode() || root.isNull()) {
            return this;
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException(file + ": expected a mapping at the top level");
        }
        for (Iterator<String> names = root.propertyNames().iterator(); names.hasNext(); ) {
            String name = names.next();
            if (!TOP_LEVEL.contains(name)) {
                throw new IllegalArgumentException(file + ": unknown key '" + name + "'");
            }
        }
        Config config = this;
        if (root.hasNonNull("listen")) {
            config = config.withListen(root.get("listen").asString());
        }
        if (root.hasNonNull("data")) {
            config = config.withData(Path.of(root.get("data").asString()));
        }
        JsonNode storage = section(root, "storage", STORAGE_KEYS, file);
        if (!storage.isMissingNode() && !storage.isNull()) {
            config = config.withStorage(storageSection(storage, file));
        }
        JsonNode metadata = section(root, "metadata", Set.of("url", "username", "password"), file);
        if (metadata.hasNonNull("url")) {
            config = config.withMetadata(metadata.get("url").asString(), text(metadata, "username"),
                    text(metadata, "password"));
        }
        JsonNode uploads = section(root, "uploads", Set.of("expiry"), file);
        if (uploads.hasNonNull("expiry")) {
            config = config.withUploadExpiry(parseDuration(uploads.get("expiry").asString()));
        }
        JsonNode manifests = section(root, "manifests", Set.of("allowSparseIndex"), file);
        if (manifests.hasNonNull("allowSparseIndex")) {
            config = config.withAllowSparseIndex(manifests.get("allowSparseIndex").asBoolean());
        }
        JsonNode referrers = section(root, "referrers", Set.of("pageSize"), file);
        if (referrers.hasNonNull("pageSize")) {
            config = config.withReferrersPageSize(referrers.get("pageSize").asInt());
        }
        JsonNode tls = section(root, "tls", Set.of("cert", "key", "clientCa", "clientAuth"), file);
        if (!tls.isMissingNode() && !tls.isNull()) {
            boolean require;
            try {
                require = TlsConfig.parseClientAuth(text(tls, "clientAuth"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ": tls.clientAuth: " + e.getMessage());
            }
            config = config.withTls(new TlsConfig(path(tls, "cert"), path(tls, "key"), path(tls, "clientCa"),
                    require));
        }
        if (root.hasNonNull("allowAnonymous")) {
            config = config.withAllowAnonymous(root.get("allowAnonymous").asBoolean());
        }
        JsonNode gc = section(root, "gc", Set.of("interval", "grace", "referrersDelay", "untagged"), file);
        if (!gc.isMissingNode() && !gc.isNull()) {
            GcConfig defaults = config.gc();
            List<GcConfig.UntaggedRule> untagged = new ArrayList<>();
            for (JsonNode rule : list(gc, "untagged", file)) {
                requireKeys(rule, "gc.untagged[]", Set.of("repositories", "olderThan"), file);
                untagged.add(new GcConfig.UntaggedRule(strings(rule, "repositories", file),
                        rule.hasNonNull("olderThan") ? parseDuration(rule.get("olderThan").asString()) : Duration.ZERO));
            }
            config = config.withGc(new GcConfig(duration(gc, "interval", defaults.interval()),
                    duration(gc, "grace", defaults.grace()), duration(gc, "referrersDelay", defaults.referrersDelay()),
                    untagged));
        }
        List<LifecycleConfig> lifecycle = new ArrayList<>();
        for (JsonNode entry : list(root, "lifecycle", file)) {
            requireKeys(entry, "lifecycle[]", Set.of("repositories", "policy", "policyFile"), file);
            String policy;
            if (entry.hasNonNull("policy") == entry.hasNonNull("policyFile")) {
                throw new IllegalArgumentException(file + ": each of lifecycle needs either policy or policyFile");
            } else if (entry.hasNonNull("policy")) {
                policy = entry.get("policy").toString();
            } else {
                policy = Files.readString(Path.of(entry.get("policyFile").asString()));
            }
            lifecycle.add(new LifecycleConfig(strings(entry, "repositories", file), policy));
        }
        if (!lifecycle.isEmpty()) {
            config = config.withLifecycle(lifecycle);
        }
        List<ImmutableTagsRule> immutable = new ArrayList<>();
        for (JsonNode rule : list(root, "immutableTags", file)) {
            requireKeys(rule, "immutableTags[]", Set.of("repositories", "except"), file);
            if (strings(rule, "repositories", file).isEmpty()) {
                throw new IllegalArgumentException(file + ": each of immutableTags needs repositories");
            }
            immutable.add(new ImmutableTagsRule(strings(rule, "repositories", file), strings(rule, "except", file)));
        }
        if (!immutable.isEmpty()) {
            config = config.withImmutableTags(immutable);
        }
        List<QuotaRule> quotas = new ArrayList<>();
        for (JsonNode rule : list(root, "quotas", file)) {
            requireKeys(rule, "quotas[]", Set.of("repositories", "maxBytes", "maxImages"), file);
            if (strings(rule, "repositories", file).isEmpty()) {
                throw new IllegalArgumentException(file + ": each of quotas needs repositories");
            }
            Long maxBytes = rule.hasNonNull("maxBytes") ? quotaSize(rule.get("maxBytes").asString(), file) : null;
            Long maxImages = rule.hasNonNull("maxImages") ? quotaCount(rule.get("maxImages"), file) : null;
            if (maxBytes == null && maxImages == null) {
                throw new IllegalArgumentException(file + ": each of quotas needs maxBytes, maxImages or both");
            }
            quotas.add(new QuotaRule(strings(rule, "repositories", file), maxBytes, maxImages));
        }
        if (!quotas.isEmpty()) {
            config = config.withQuotas(quotas);
            new RepositoryQuotas(quotas); // checks the globs
        }
        JsonNode notifications = section(root, "notifications", Set.of("endpoints", "retention", "source", "pulls"), file);
        if (!notifications.isMissingNode() && !notifications.isNull()) {
            config = config.withNotifications(NotificationsSection.parse(notifications, config.notifications(),
                    file));
        }
        JsonNode shutdown = section(root, "shutdown", Set.of("drainDelay"), file);
        if (shutdown.hasNonNull("drainDelay")) {
            config = config.withDrainDelay(parseDuration(shutdown.get("drainDelay").asString()));
        }
        JsonNode metrics = section(root, "metrics", Set.of("enabled", "access", "token"), file);
        if (!metrics.isMissingNode() && !metrics.isNull()) {
            config = config.withMetrics(metricsSection(config.metrics(), metrics, file));
        }
        JsonNode auth = section(root, "auth", Set.of("htpasswd", "users", "groups", "access", "token",
                "trustedProxies"), file);
        if (!auth.isMissingNode() && !auth.isNull()) {
            config = config.withAuth(authSection(config.auth(), auth, file));
        }
        return config;
    }

    private static final Set<String> S3_KEYS = Set.of("bucket", "prefix", "region", "endpoint", "pathStyle",
            "accessKey", "secretKey", "storageClass", "redirect", "redirectExpiry");
    /** How long a presigned URL stays valid when {@code storage.redirectExpiry} does not say: as Distribution's. */
    private static final Duration REDIRECT_EXPIRY = Duration.ofMinutes(20);
    private static final Set<String> STORAGE_KEYS = union(Set.of("type", "path"), S3_KEYS);

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new java.util.HashSet<>(a);
        all.addAll(b);
        return Set.copyOf(all);
    }

    /** {@code storage}: {@code type: filesystem} (the default) with a {@code path}, or {@code type: s3} with a bucket. */
    private static StorageConfig storageSection(JsonNode node, Path file) {
        String type = node.hasNonNull("type") ? node.get("type").asString() : "filesystem";
        switch (type) {
            case "filesystem" -> {
                for (String key : S3_KEYS) {
                    if (node.has(key)) {
                        throw new IllegalArgumentException(file + ": storage." + key + " needs storage.type: s3");
                    }
                }
                return new StorageConfig.FileSystem(path(node, "path"));
            }
            case "s3" -> {
                if (node.has("path")) {
                    throw new IllegalArgumentException(file + ": storage.path is for storage.type: filesystem");
                }
                boolean pathStyle = storageFlag(node, "pathStyle", file);
                boolean redirect = storageFlag(node, "redirect", file);
                if (!redirect && node.has("redirectExpiry")) {
                    throw new IllegalArgumentException(file + ": storage.redirectExpiry needs storage.redirect: true");
                }
                String endpoint = text(node, "endpoint");
                try {
                    return new StorageConfig.S3(new S3Settings(text(node, "bucket"), text(node, "prefix"),
                            text(node, "region"), endpoint == null ? null : URI.create(endpoint), pathStyle,
                            text(node, "accessKey"), text(node, "secretKey"), text(node, "storageClass"),
                            redirect ? duration(node, "redirectExpiry", REDIRECT_EXPIRY) : null));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
                }
            }
            default -> throw new IllegalArgumentException(file + ": storage.type must be filesystem or s3, got '"
                    + type + "'");
        }
    }

    /** {@code metrics}: {@code enabled} (true or false), {@code access} (public, admin or token), {@code token}. */
    private static MetricsConfig metricsSection(MetricsConfig defaults, JsonNode node, Path file) {
        JsonNode enabled = node.path("enabled");
        if (!enabled.isMissingNode() && !enabled.isNull() && !enabled.isBoolean()) {
            throw new IllegalArgumentException(file + ": metrics.enabled must be true or false");
        }
        try {
            MetricsConfig.Access access = node.hasNonNull("access")
                    ? MetricsConfig.Access.parse(node.get("access").asString()) : defaults.access();
            return new MetricsConfig(enabled.asBoolean(defaults.enabled()), access,
                    node.hasNonNull("token") ? node.get("token").asString() : defaults.token());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** A true or false at {@code storage.<field>}; false when absent. */
    private static boolean storageFlag(JsonNode node, String field, Path file) {
        JsonNode value = node.path(field);
        if (!value.isMissingNode() && !value.isNull() && !value.isBoolean()) {
            throw new IllegalArgumentException(file + ": storage." + field + " must be true or false");
        }
        return value.asBoolean(false);
    }

    private static AuthConfig authSection(AuthConfig auth, JsonNode node, Path file) {
        if (node.hasNonNull("htpasswd")) {
            auth = auth.withHtpasswd(path(node, "htpasswd"));
        }
        List<AuthConfig.User> users = new ArrayList<>();
        for (JsonNode user : list(node, "users", file)) {
            requireKeys(user, "auth.users[]", Set.of("name", "password", "groups"), file);
            if (!user.hasNonNull("name") || !user.hasNonNull("password")) {
                throw new IllegalArgumentException(file + ": each of auth.users needs a name and a password (bcrypt hash)");
            }
            users.add(new AuthConfig.User(user.get("name").asString(), user.get("password").asString(),
                    strings(user, "groups", file)));
        }
        auth = auth.withUsers(users);
        Map<String, List<String>> groups = new LinkedHashMap<>();
        JsonNode groupsNode = node.path("groups");
        if (groupsNode.isObject()) {
            for (String group : groupsNode.propertyNames()) {
                groups.put(group, strings(groupsNode, group, file));
            }
        } else if (!groupsNode.isMissingNode() && !groupsNode.isNull()) {
            throw new IllegalArgumentException(file + ": auth.groups must map group names to lists of users");
        }
        auth = auth.withGroups(groups);
        List<AuthConfig.AccessRule> rules = new ArrayList<>();
        for (JsonNode rule : list(node, "access", file)) {
            requireKeys(rule, "auth.access[]", Set.of("repositories", "subjects", "actions"), file);
            rules.add(new AuthConfig.AccessRule(strings(rule, "repositories", file), strings(rule, "subjects", file),
                    strings(rule, "actions", file)));
        }
        auth = auth.withAccess(rules);
        auth = auth.withTrustedProxies(strings(node, "trustedProxies", file));
        JsonNode token = section(node, "token", Set.of("service", "issuer", "realm", "ttl", "external",
                "signingKey", "verificationKeys"), file);
        if (!token.isMissingNode() && !token.isNull()) {
            auth = auth.withToken(
                    token.hasNonNull("service") ? token.get("service").asString() : auth.service(),
                    token.hasNonNull("issuer") ? token.get("issuer").asString() : auth.issuer(),
                    token.hasNonNull("realm") ? token.get("realm").asString() : auth.realm(),
                    token.hasNonNull("ttl") ? parseDuration(token.get("ttl").asString()) : auth.tokenTtl());
            List<AuthConfig.ExternalIssuer> issuers = new ArrayList<>();
            for (JsonNode issuer : list(token, "external", file)) {
                requireKeys(issuer, "auth.token.external[]", Set.of("issuer", "audience", "publicKey", "jwks"), file);
                if (!issuer.hasNonNull("issuer") || (!issuer.hasNonNull("publicKey") && !issuer.hasNonNull("jwks"))) {
                    throw new IllegalArgumentException(file
                            + ": each of auth.token.external needs an issuer and a publicKey or jwks file");
                }
                issuers.add(new AuthConfig.ExternalIssuer(issuer.get("issuer").asString(),
                        issuer.hasNonNull("audience") ? issuer.get("audience").asString() : auth.service(),
                        path(issuer, "publicKey"), path(issuer, "jwks")));
            }
            auth = auth.withExternalIssuers(issuers);
            List<Path> verificationKeys = strings(token, "verificationKeys", file).stream().map(Path::of).toList();
            auth = auth.withSigningKeys(path(token, "signingKey"), verificationKeys);
        }
        return auth;
    }

    public static List<JsonNode> list(JsonNode node, String field, Path file) {
        JsonNode value = node.path(field);
        if (value.isMissingNode() || value.isNull()) {
            return List.of();
        }
        if (!value.isArray()) {
            throw new IllegalArgumentException(file + ": '" + field + "' must be a list");
        }
        List<JsonNode> items = new ArrayList<>();
        value.forEach(items::add);
        return items;
    }

    public static List<String> strings(JsonNode node, String field, Path file) {
        JsonNode value = node.path(field);
        if (value.isString()) {
            return List.of(value.asString());
        }
        List<String> items = new ArrayList<>();
        for (JsonNode item : list(node, field, file)) {
            items.add(item.asString());
        }
        return items;
    }

    public static void requireKeys(JsonNode node, String where, Set<String> keys, Path file) {
        if (!node.isObject()) {
            throw new IllegalArgumentException(file + ": each of " + where + " must be a mapping");
        }
        for (String key : node.propertyNames()) {
            if (!keys.contains(key)) {
                throw new IllegalArgumentException(file + ": unknown key '" + where + "." + key + "'");
            }
        }
    }

    private static long quotaSize(String text, Path file) {
        try {
            return ByteSizes.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": quotas[].maxBytes: " + e.getMessage());
        }
    }

    private static long quotaCount(JsonNode value, Path file) {
        if (!value.canConvertToLong() || value.asLong() < 0 || !value.isIntegralNumber()) {
            throw new IllegalArgumentException(file + ": quotas[].maxImages must be a whole number");
        }
        return value.asLong();
    }

    public static Duration duration(JsonNode node, String field, Duration absent) {
        return node.hasNonNull(field) ? parseDuration(node.get(field).asString()) : absent;
    }

    private static Path path(JsonNode node, String field) {
        return node.hasNonNull(field) ? Path.of(node.get(field).asString()) : null;
    }

    private static JsonNode section(JsonNode root, String name, Set<String> keys, Path file) {
        JsonNode node = root.path(name);
        if (node.isMissingNode() || node.isNull()) {
            return node;
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException(file + ": '" + name + "' must be a mapping");
        }
        for (Iterator<String> names = node.propertyNames().iterator(); names.hasNext(); ) {
            String key = names.next();
            if (!keys.contains(key)) {
                throw new IllegalArgumentException(file + ": unknown key '" + name + "." + key + "'");
            }
        }
        return node;
    }

    public static String text(JsonNode node, String field) {
        return node.hasNonNull(field) ? node.get(field).asString() : null;
    }

    /** Applies {@code BERTH_*} environment variables (other than {@code BERTH_CONFIG}, read by the CLI). */
    public Config withEnvironment(Map<String, String> env) {
        Config config = this;
        if (env.containsKey("BERTH_LISTEN")) {
            config = config.withListen(env.get("BERTH_LISTEN"));
        }
        if (env.containsKey("BERTH_DATA")) {
            config = config.withData(Path.of(env.get("BERTH_DATA")));
        }
        if (env.containsKey("BERTH_STORAGE_PATH")) {
            config = config.withStoragePath(Path.of(env.get("BERTH_STORAGE_PATH")));
        }
        if (env.containsKey("BERTH_STORAGE_ACCESS_KEY") || env.containsKey("BERTH_STORAGE_SECRET_KEY")) {
            // Keeps the secret out of the configuration file.
            if (!(config.storage() instanceof StorageConfig.S3(S3Settings s3))) {
                throw new IllegalArgumentException("BERTH_STORAGE_ACCESS_KEY and BERTH_STORAGE_SECRET_KEY need "
                        + "storage.type: s3");
            }
            config = config.withStorage(new StorageConfig.S3(s3.withCredentials(
                    env.getOrDefault("BERTH_STORAGE_ACCESS_KEY", s3.accessKey()),
                    env.getOrDefault("BERTH_STORAGE_SECRET_KEY", s3.secretKey()))));
        }
        if (env.containsKey("BERTH_METADATA_URL")) {
            config = config.withMetadata(env.get("BERTH_METADATA_URL"), env.get("BERTH_METADATA_USERNAME"),
                    env.get("BERTH_METADATA_PASSWORD"));
        }
        if (env.containsKey("BERTH_UPLOADS_EXPIRY")) {
            config = config.withUploadExpiry(parseDuration(env.get("BERTH_UPLOADS_EXPIRY")));
        }
        if (env.containsKey("BERTH_ALLOW_ANONYMOUS")) {
            config = config.withAllowAnonymous(Boolean.parseBoolean(env.get("BERTH_ALLOW_ANONYMOUS")));
        }
        if (env.containsKey("BERTH_TLS_CERT") || env.containsKey("BERTH_TLS_KEY")
                || env.containsKey("BERTH_TLS_CLIENT_CA") || env.containsKey("BERTH_TLS_CLIENT_AUTH")) {
            TlsConfig tls = config.tls();
            String clientAuth = env.get("BERTH_TLS_CLIENT_AUTH");
            config = config.withTls(new TlsConfig(pathFrom(env, "BERTH_TLS_CERT", tls.certificate()),
                    pathFrom(env, "BERTH_TLS_KEY", tls.privateKey()),
                    pathFrom(env, "BERTH_TLS_CLIENT_CA", tls.clientCa()),
                    clientAuth != null ? TlsConfig.parseClientAuth(clientAuth) : tls.requireClientCertificate()));
        }
        if (env.containsKey("BERTH_AUTH_HTPASSWD")) {
            config = config.withAuth(config.auth().withHtpasswd(Path.of(env.get("BERTH_AUTH_HTPASSWD"))));
        }
        if (env.containsKey("BERTH_AUTH_TOKEN_SIGNING_KEY")) {
            config = config.withAuth(config.auth().withSigningKeys(Path.of(env.get("BERTH_AUTH_TOKEN_SIGNING_KEY")),
                    config.auth().verificationKeys()));
        }
        if (env.containsKey("BERTH_SHUTDOWN_DRAIN_DELAY")) {
            config = config.withDrainDelay(parseDuration(env.get("BERTH_SHUTDOWN_DRAIN_DELAY")));
        }
        if (env.containsKey("BERTH_METRICS_ENABLED")) {
            MetricsConfig metrics = config.metrics();
            config = config.withMetrics(new MetricsConfig(Boolean.parseBoolean(env.get("BERTH_METRICS_ENABLED")),
                    metrics.access(), metrics.token()));
        }
        if (env.containsKey("BERTH_METRICS_TOKEN")) {
            // Keeps the secret out of the configuration file; a token given means it is required.
            config = config.withMetrics(new MetricsConfig(config.metrics().enabled(), MetricsConfig.Access.TOKEN,
                    env.get("BERTH_METRICS_TOKEN")));
        }
        if (env.containsKey("BERTH_MANIFESTS_ALLOW_SPARSE_INDEX")) {
            config = config.withAllowSparseIndex(Boolean.parseBoolean(env.get("BERTH_MANIFESTS_ALLOW_SPARSE_INDEX")));
        }
        return config;
    }

    /** The path a variable names, none if it is set but blank, or {@code otherwise} if it is not set. */
    private static Path pathFrom(Map<String, String> env, String variable, Path otherwise) {
        return env.containsKey(variable) ? pathOrNull(env.get(variable)) : otherwise;
    }

    private static Path pathOrNull(String value) {
        return value == null || value.isBlank() ? null : Path.of(value);
    }

    /** Parses {@code 90s}, {@code 30m}, {@code 24h}, {@code 7d} or an ISO-8601 duration. */
    public static Duration parseDuration(String text) {
        String value = text.strip().toLowerCase(Locale.ROOT);
        if (value.equals("0")) {
            return Duration.ZERO; // `interval: 0` switches a schedule off, and needs no unit
        }
        try {
            if (value.startsWith("p")) {
                return Duration.parse(value.toUpperCase(Locale.ROOT));
            }
            long amount = Long.parseLong(value.substring(0, value.length() - 1));
            return switch (value.charAt(value.length() - 1)) {
                case 's' -> Duration.ofSeconds(amount);
                case 'm' -> Duration.ofMinutes(amount);
                case 'h' -> Duration.ofHours(amount);
                case 'd' -> Duration.ofDays(amount);
                default -> throw new IllegalArgumentException();
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("invalid duration '" + text + "' (use e.g. 90s, 30m, 24h, 7d)");
        }
    }
}
