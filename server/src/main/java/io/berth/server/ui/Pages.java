package io.berth.server.ui;

import io.berth.oci.Digest;
import io.berth.registry.ByteSizes;
import io.berth.registry.Page;
import io.berth.registry.Quotas;
import io.berth.registry.inventory.ImageDetails.ImageDetail;
import io.berth.registry.inventory.ImageDetails.Platform;
import io.berth.registry.inventory.ImageDetails.ReferrerNode;
import io.berth.registry.inventory.ImageInfo;
import io.berth.registry.inventory.ImageQuery;
import io.berth.registry.inventory.RegistryUsage;
import io.berth.registry.inventory.RepositoryInfo;
import io.berth.registry.inventory.RepositoryQuery;
import io.berth.registry.inventory.Usage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongFunction;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The web UI's pages, rendered on the server from what the registry answers; the little script there is
 ({@code /ui/static/berth.js}) only copies commands. Every value a client could have chosen goes through
 * {@link Html}'s escaping. Pages know nothing of HTTP: the routes give them what to show and where forms go.
 */
public final class Pages {
    public static final String ROOT = "/ui/";
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
            .withZone(ZoneOffset.UTC);
    /** Artifact types shown by what they are rather than by media type. */
    private static final Map<String, String> KINDS = Map.ofEntries(
            Map.entry("application/vnd.dev.cosign.artifact.sig.v1+json", "Signature"),
            Map.entry("application/vnd.dev.cosign.simplesigning.v1+json", "Signature"),
            Map.entry("application/vnd.cncf.notary.signature", "Signature"),
            Map.entry("application/vnd.dev.sigstore.bundle.v0.3+json", "Attestation"),
            Map.entry("application/vnd.dsse.envelope.v1+json", "Attestation"),
            Map.entry("application/vnd.in-toto+json", "Attestation"),
            Map.entry("application/spdx+json", "SBOM"),
            Map.entry("text/spdx", "SBOM"),
            Map.entry("application/vnd.cyclonedx+json", "SBOM"),
            Map.entry("application/vnd.cyclonedx+xml", "SBOM"),
            Map.entry("application/vnd.syft+json", "SBOM"),
            Map.entry("application/vnd.cncf.helm.config.v1+json", "Helm chart"));
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final List<String> IMAGE_CONFIGS = List.of("application/vnd.oci.image.config.v1+json",
            "application/vnd.docker.container.image.v1+json");

    private Pages() {
    }

    /**
     * Who looks at a page, and what every page needs to know of the request.
     *
     * @param user      the signed-in user or robot; null for an anonymous visitor
     * @param signIn    whether signing in is possible (authentication is on)
     * @param csrf      the token each form sends back
     * @param registry  the registry's host (and port) as clients name it in image references
     * @param plainHttp whether the registry is reached without TLS, which podman and skopeo must be told
     */
    public record Viewer(String user, boolean signIn, String csrf, String registry, boolean plainHttp) {
    }

    // ---- the frame

    private static Html layout(Viewer viewer, String title, Html crumbs, Html body) {
        Html account;
        if (viewer.user() != null) {
            account = Html.of("""
                    <span class="who">{}</span>
                    <form method="post" action="/ui/logout" class="inline">{}<button class="link">Sign out</button></form>""",
                    viewer.user(), csrfField(viewer));
        } else if (viewer.signIn()) {
            account = Html.of("<a href=\"/ui/login\">Sign in</a>");
        } else {
            account = Html.EMPTY;
        }
        return Html.of("""
                <!DOCTYPE html>
                <html lang="en">
                <head>
                <meta charset="utf-8">
                <meta name="viewport" content="width=device-width, initial-scale=1">
                <title>{} · Berth</title>
                <link rel="icon" href="/ui/static/berth.svg">
                <link rel="stylesheet" href="/ui/static/berth.css">
                <script src="/ui/static/berth.js" defer></script>
                </head>
                <body>
                <header><a class="brand" href="/ui/">Berth</a><nav><a href="/ui/">Repositories</a><a href="/ui/usage">Usage</a></nav><div class="account">{}</div></header>
                <main>
                <nav class="crumbs">{}</nav>
                {}
                </main>
                </body>
                </html>
                """, title, account, crumbs, body);
    }

    private static Html csrfField(Viewer viewer) {
        return Html.of("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", viewer.csrf());
    }

    /** Links to the repository list and down to the repository {@code name}, if any. */
    private static Html crumbs(String name, Html last) {
        List<Html> parts = new ArrayList<>();
        parts.add(Html.of("<a href=\"/ui/\">Repositories</a>"));
        if (name != null) {
            parts.add(Html.of("<a href=\"{}\">{}</a>", repositoryPath(name), name));
        }
        if (last != null) {
            parts.add(last);
        }
        return Html.each(parts, part -> Html.of("<span>{}</span>", part));
    }

    public static String repositoryPath(String name) {
        return "/ui/r/" + name;
    }

    public static String imagePath(String name, Digest digest) {
        return "/ui/r/" + name + "/-/images/" + digest;
    }

    // ---- repositories

    /** The repositories the viewer may pull, as the list's query found them; {@code next} is null on the last page. */
    public static Html repositories(Viewer viewer, List<RepositoryInfo> items, RepositoryQuery.Sort sort,
                                    String search, String next) {
        Html options = Html.each(List.of(RepositoryQuery.Sort.values()), choice -> Html.of(
                "<option value=\"{}\"{}>{}</option>", lower(choice), Html.when(choice == sort, Html.of(" selected")),
                switch (choice) {
                    case NAME -> "name";
                    case PUSHED -> "last push";
                    case SIZE -> "size";
                }));
        Html rows = Html.each(items, repository -> Html.of("""
                <tr><td><a href="{}">{}</a></td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>\
                <td class="num">{}</td><td>{}</td><td>{}</td></tr>
                """, repositoryPath(repository.name()), repository.name(), repository.images(), repository.tags(),
                repository.referrers(), ByteSizes.format(repository.sizeBytes()), time(repository.lastPushedAt()),
                time(repository.lastPulledAt())));
        Html more = next == null ? Html.EMPTY : Html.of("<p class=\"more\"><a href=\"/ui/?sort={}&amp;q={}&amp;cursor={}\">"
                + "Next page</a></p>", lower(sort), Html.encode(search == null ? "" : search), Html.encode(next));
        Html body = Html.of("""
                <h1>Repositories</h1>
                <form method="get" action="/ui/" class="filters">
                <input type="search" name="q" value="{}" placeholder="Name contains" aria-label="Name contains">
                <label>Sort by <select name="sort">{}</select></label>
                <button>Show</button>
                </form>
                {}
                {}
                """, search, options, items.isEmpty()
                ? Html.of("<p class=\"empty\">{}</p>", search == null || search.isEmpty()
                        ? "No repositories you may see." : "No repository you may see has that in its name.")
                : Html.of("""
                        <table class="list" id="repositories">
                        <thead><tr><th>Name</th><th class="num">Images</th><th class="num">Tags</th><th class="num">Referrers</th>\
                        <th class="num">Size</th><th>Last push</th><th>Last pull</th></tr></thead>
                        <tbody>
                        {}</tbody>
                        </table>""", rows), more);
        return layout(viewer, "Repositories", crumbs(null, null), body);
    }

    // ---- a repository

    /** What a repository page shows besides its images: what it is, its limits, and what the viewer may do. */
    public record RepositoryView(RepositoryInfo repository, List<Quotas.Quota> quotas, boolean mayDelete,
                                 String notice) {
    }

    public static Html repository(Viewer viewer, RepositoryView view, Page<ImageInfo> images, ImageQuery.Kind kind,
                                  ImageQuery.Tagged tagged) {
        RepositoryInfo repository = view.repository();
        String name = repository.name();
        String newestTag = images.items().stream().flatMap(image -> image.tags().stream()).findFirst().orElse(null);
        Html pull = newestTag == null ? Html.EMPTY
                : Html.of("<h2>Pull</h2>{}", pullCommands(viewer, name, ":" + newestTag, newestTag));
        Html kinds = Html.each(List.of(ImageQuery.Kind.values()), choice -> Html.of(
                "<option value=\"{}\"{}>{}</option>", lower(choice), Html.when(choice == kind, Html.of(" selected")),
                switch (choice) {
                    case IMAGES -> "images";
                    case REFERRERS -> "referrers";
                    case ALL -> "images and referrers";
                }));
        Html taggedOptions = Html.each(List.of(ImageQuery.Tagged.values()), choice -> Html.of(
                "<option value=\"{}\"{}>{}</option>", lower(choice), Html.when(choice == tagged,
                        Html.of(" selected")), switch (choice) {
                    case TAGGED -> "tagged";
                    case UNTAGGED -> "untagged";
                    case ANY -> "tagged or not";
                }));
        Html rows = Html.each(images.items(), image -> Html.of("""
                <tr><td><a class="digest" href="{}" title="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td>\
                <td class="num">{}</td><td>{}</td><td>{}</td></tr>
                """, imagePath(name, image.digest()), image.digest(), shortDigest(image.digest()),
                tagList(viewer, name, image.tags(), view.mayDelete()), kind(image),
                String.join(", ", image.platforms()), ByteSizes.format(image.sizeBytes()), time(image.pushedAt()),
                time(image.lastPulledAt())));
        Html more = images.last() == null ? Html.EMPTY : Html.of(
                "<p class=\"more\"><a href=\"{}?type={}&amp;tagged={}&amp;cursor={}\">Next page</a></p>",
                repositoryPath(name), lower(kind), lower(tagged), Html.encode(images.last()));
        Html deleteRepository = Html.when(view.mayDelete(), Html.of(
                "<p class=\"danger\"><a class=\"button danger\" href=\"{}/-/delete\">Delete repository</a></p>",
                repositoryPath(name)));
        Html body = Html.of("""
                {}
                <h1>{}</h1>
                <dl class="facts">
                <div><dt>Images</dt><dd id="image-count">{}</dd></div>
                <div><dt>Tags</dt><dd>{}</dd></div>
                <div><dt>Referrers</dt><dd>{}</dd></div>
                <div><dt>Size</dt><dd id="repository-size">{}</dd></div>
                <div><dt>Created</dt><dd>{}</dd></div>
                <div><dt>Last push</dt><dd>{}</dd></div>
                <div><dt>Last pull</dt><dd>{}</dd></div>
                </dl>
                {}
                {}
                <h2>Images</h2>
                <form method="get" action="{}" class="filters">
                <label>Show <select name="type">{}</select></label>
                <label><select name="tagged">{}</select></label>
                <button>Show</button>
                </form>
                {}
                {}
                {}
                """, notice(view.notice()), name, repository.images(), repository.tags(), repository.referrers(),
                ByteSizes.format(repository.sizeBytes()), time(repository.createdAt()),
                time(repository.lastPushedAt()), time(repository.lastPulledAt()),
                quotas(view.quotas(), repository), pull, repositoryPath(name), kinds, taggedOptions,
                images.items().isEmpty() ? Html.of("<p class=\"empty\">Nothing to show.</p>") : Html.of("""
                        <table class="list" id="images">
                        <thead><tr><th>Digest</th><th>Tags</th><th>Type</th><th>Platforms</th><th class="num">Size</th>\
                        <th>Pushed</th><th>Last pull</th></tr></thead>
                        <tbody>
                        {}</tbody>
                        </table>""", rows), more, deleteRepository);
        return layout(viewer, name, crumbs(name, null), body);
    }

    private static Html tagList(Viewer viewer, String name, List<String> tags, boolean mayDelete) {
        return Html.each(tags, tag -> Html.of("<span class=\"tag\">{}{}</span> ", tag, Html.when(mayDelete, Html.of(
                "<a class=\"remove\" href=\"{}/-/tags/{}/delete\" title=\"Delete tag {}\" aria-label=\"Delete tag {}\">"
                        + "×</a>", repositoryPath(name), tag, tag, tag))));
    }

    private static Html quotas(List<Quotas.Quota> quotas, RepositoryInfo repository) {
        if (quotas.isEmpty()) {
            return Html.EMPTY;
        }
        return Html.of("<h2>Quotas</h2><table class=\"list\" id=\"quotas\"><thead><tr><th>Quota</th><th>Stored</th>"
                + "<th>Images</th></tr></thead><tbody>{}</tbody></table>", Html.each(quotas, quota -> Html.of(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", quota.name(),
                limit(ByteSizes.format(repository.sizeBytes()), repository.sizeBytes(), quota.maxBytes(),
                        ByteSizes::format),
                limit(Long.toString(repository.images()), repository.images(), quota.maxImages(), String::valueOf))));
    }

    private static Html limit(String used, long usedValue, Long max, LongFunction<String> format) {
        if (max == null) {
            return Html.of("{} (no limit)", used);
        }
        long percent = max == 0 ? 100 : Math.min(100, usedValue * 100 / max);
        return Html.of("{} of {} <meter min=\"0\" max=\"100\" value=\"{}\" title=\"{} %\"></meter>", used,
                format.apply(max), percent, percent);
    }

    // ---- an image

    /** One manifest of the repository {@code name}: what it is, holds and has attached. */
    public static Html image(Viewer viewer, String name, ImageDetail detail, boolean mayDelete) {
        ImageInfo image = detail.image();
        String reference = image.tags().isEmpty() ? "@" + image.digest() : ":" + image.tags().getFirst();
        Html facts = Html.of("""
                <dl class="facts">
                <div><dt>Type</dt><dd>{}</dd></div>
                <div><dt>Media type</dt><dd>{}</dd></div>
                <div><dt>Size</dt><dd>{}</dd></div>
                <div><dt>Pushed</dt><dd>{}</dd></div>
                <div><dt>Last pull</dt><dd>{}</dd></div>
                {}
                </dl>""", kind(image), image.mediaType(), ByteSizes.format(image.sizeBytes()), time(image.pushedAt()),
                time(image.lastPulledAt()), image.subject() == null ? Html.EMPTY : Html.of(
                        "<div><dt>Subject</dt><dd><a class=\"digest\" href=\"{}\">{}</a></dd></div>",
                        imagePath(name, image.subject()), shortDigest(image.subject())));
        Html tags = image.tags().isEmpty() ? Html.of("<p class=\"empty\">Untagged.</p>")
                : Html.of("<p class=\"tags\">{}</p>", tagList(viewer, name, image.tags(), mayDelete));
        Html deleteImage = Html.when(mayDelete, Html.of(
                "<p class=\"danger\"><a class=\"button danger\" href=\"{}/delete\">Delete image</a></p>",
                imagePath(name, image.digest())));
        Html body = Html.of("""
                <h1>{}<span class="digest-title">@{}</span></h1>
                {}
                {}
                {}
                <h2>Pull</h2>
                {}
                {}
                {}
                {}
                {}
                {}
                <h2>Manifest</h2>
                <pre class="manifest">{}</pre>
                {}
                """, name, image.digest(), facts, tags, annotations(detail.annotations()),
                pullCommands(viewer, name, reference, image.tags().isEmpty() ? null : image.tags().getFirst()),
                referrers(name, detail), platforms(name, detail.platforms()), config(detail), layers(detail),
                Html.when(detail.config() != null, Html.of("<p class=\"muted\">Config {}, {}</p>",
                        detail.config() == null ? null : detail.config().digest(),
                        detail.config() == null ? null : ByteSizes.format(detail.config().size()))),
                pretty(detail.manifest()), deleteImage);
        return layout(viewer, name + "@" + shortDigest(image.digest()), crumbs(name, Html.text(
                shortDigest(image.digest()))), body);
    }

    /** The manifest indented for reading; as pushed when it cannot be read (it was valid JSON when pushed). */
    private static String pretty(byte[] manifest) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(JSON.readTree(manifest));
        } catch (JacksonException e) {
            return new String(manifest, StandardCharsets.UTF_8);
        }
    }

    private static Html annotations(Map<String, String> annotations) {
        if (annotations.isEmpty()) {
            return Html.EMPTY;
        }
        return Html.of("<h2>Annotations</h2><table class=\"pairs\" id=\"annotations\"><tbody>{}</tbody></table>",
                Html.each(annotations.entrySet(), entry -> Html.of("<tr><th>{}</th><td>{}</td></tr>", entry.getKey(),
                        entry.getValue())));
    }

    private static Html config(ImageDetail detail) {
        var config = detail.configSummary();
        if (config == null) {
            return Html.EMPTY;
        }
        String platform = config.os() == null ? null : config.os() + "/" + config.architecture()
                + (config.variant() == null ? "" : "/" + config.variant());
        return Html.of("""
                <h2>Config</h2>
                <table class="pairs" id="config"><tbody>
                <tr><th>Platform</th><td>{}</td></tr>
                <tr><th>Created</th><td>{}</td></tr>
                <tr><th>Entrypoint</th><td><code>{}</code></td></tr>
                <tr><th>Command</th><td><code>{}</code></td></tr>
                {}
                </tbody></table>""", platform, config.created(), String.join(" ", config.entrypoint()),
                String.join(" ", config.cmd()), Html.each(config.labels().entrySet(), label -> Html.of(
                        "<tr><th>Label {}</th><td>{}</td></tr>", label.getKey(), label.getValue())));
    }

    private static Html layers(ImageDetail detail) {
        if (detail.layers().isEmpty()) {
            return Html.EMPTY;
        }
        return Html.of("""
                <h2>Layers</h2>
                <table class="list" id="layers"><thead><tr><th>#</th><th>Digest</th><th>Media type</th>\
                <th class="num">Size</th></tr></thead><tbody>
                {}</tbody></table>""", Html.each(numbered(detail.layers()), layer -> Html.of(
                "<tr><td class=\"num\">{}</td><td class=\"digest\" title=\"{}\">{}</td><td>{}</td><td class=\"num\">{}"
                        + "</td></tr>\n", layer.number(), layer.item().digest(), shortDigest(layer.item().digest()),
                layer.item().mediaType(), ByteSizes.format(layer.item().size()))));
    }

    private record Numbered<T>(int number, T item) {
    }

    private static <T> List<Numbered<T>> numbered(List<T> items) {
        List<Numbered<T>> numbered = new ArrayList<>();
        for (T item : items) {
            numbered.add(new Numbered<>(numbered.size() + 1, item));
        }
        return numbered;
    }

    private static Html platforms(String name, List<Platform> platforms) {
        if (platforms.isEmpty()) {
            return Html.EMPTY;
        }
        return Html.of("""
                <h2>Platforms</h2>
                <table class="list" id="platforms"><thead><tr><th>Platform</th><th>Manifest</th>\
                <th class="num">Size</th></tr></thead><tbody>
                {}</tbody></table>""", Html.each(platforms, platform -> Html.of(
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>\n",
                platform.platform() == null ? "unknown" : platform.platform(),
                platform.manifest() == null ? Html.of("<span class=\"digest\">{}</span> (not in this repository)",
                        shortDigest(platform.digest()))
                        : Html.of("<a class=\"digest\" href=\"{}\">{}</a>", imagePath(name, platform.digest()),
                        shortDigest(platform.digest())),
                platform.manifest() == null ? "" : ByteSizes.format(platform.manifest().sizeBytes()))));
    }

    private static Html referrers(String name, ImageDetail detail) {
        if (detail.referrers().isEmpty()) {
            return Html.EMPTY;
        }
        return Html.of("<h2>Referrers</h2><div class=\"tree\" id=\"referrers\">{}</div>{}",
                referrerGroups(name, detail.referrers()), Html.when(detail.truncated(),
                        Html.of("<p class=\"muted\">The tree is longer than a page shows.</p>")));
    }

    /** Referrers grouped by what they are (signatures, SBOMs, ...), each with its own referrers below it. */
    private static Html referrerGroups(String name, List<ReferrerNode> nodes) {
        Map<String, List<ReferrerNode>> groups = new LinkedHashMap<>();
        for (ReferrerNode node : nodes) {
            groups.computeIfAbsent(node.referrer().artifactType() == null ? "" : node.referrer().artifactType(),
                    type -> new ArrayList<>()).add(node);
        }
        return Html.each(groups.entrySet(), group -> Html.of("""
                <details open class="group"><summary><span class="kind">{}</span> <span class="muted">{}</span> \
                <span class="count">{}</span></summary><ul>
                {}</ul></details>""", artifactKind(group.getKey()), group.getKey(), group.getValue().size(),
                Html.each(group.getValue(), node -> Html.of("""
                        <li><a class="digest" href="{}">{}</a> <span class="muted">{} · {}</span>{}</li>
                        """, imagePath(name, node.referrer().digest()), shortDigest(node.referrer().digest()),
                        ByteSizes.format(node.referrer().sizeBytes()), time(node.referrer().pushedAt()),
                        node.referrers().isEmpty() ? Html.EMPTY : referrerGroups(name, node.referrers())))));
    }

    // ---- pull commands

    private static Html pullCommands(Viewer viewer, String name, String reference, String tag) {
        String image = viewer.registry() + "/" + name + reference;
        String last = name.substring(name.lastIndexOf('/') + 1);
        String insecure = viewer.plainHttp() ? " --tls-verify=false" : "";
        List<String[]> commands = List.of(
                new String[] {"docker", "docker pull " + image},
                new String[] {"podman", "podman pull" + insecure + " " + image},
                new String[] {"skopeo", "skopeo copy" + (viewer.plainHttp() ? " --src-tls-verify=false" : "")
                        + " docker://" + image + " oci:" + last + (tag == null ? "" : ":" + tag)});
        return Html.of("<div class=\"pull\">{}</div>", Html.each(commands, command -> Html.of(
                "<div class=\"command\"><span class=\"tool\">{}</span><code>{}</code><button type=\"button\" "
                        + "class=\"copy\" data-copy=\"{}\">Copy</button></div>", command[0], command[1], command[1])));
    }

    // ---- deletion

    /** A question before a deletion: the form posts to {@code action}; {@code back} is where "Cancel" goes. */
    public static Html confirm(Viewer viewer, String name, String question, String detail, String action,
                               String back) {
        Html body = Html.of("""
                <h1>{}</h1>
                <p>{}</p>
                <form method="post" action="{}" class="confirm">{}<button class="danger" id="confirm">Delete</button>
                <a class="button" href="{}">Cancel</a></form>
                """, question, detail, action, csrfField(viewer), back);
        return layout(viewer, question, crumbs(name, null), body);
    }

    // ---- usage

    /**
     * The bytes a namespace stores, with the largest of its repositories and their quotas; the registry's totals,
     * counted at {@code countedAt}, when given ({@code totals} null on a namespace's page, and for those who do not
     * administer the registry).
     */
    public static Html usage(Viewer viewer, String namespace, Usage usage, RegistryUsage totals, Instant countedAt,
                             List<RepositoryInfo> largest, Quotas quotas) {
        Html registryTotals = totals == null ? Html.EMPTY : Html.of("""
                <h2>Registry</h2>
                <p class="muted" id="registry-usage-counted">Counted at {}, again every few seconds while this page is \
                read.</p>
                <dl class="facts" id="registry-usage">
                <div><dt>Repositories</dt><dd>{}</dd></div>
                <div><dt>Blobs</dt><dd>{} ({})</dd></div>
                <div><dt>Manifests</dt><dd>{} ({})</dd></div>
                <div><dt>Garbage collection would free</dt><dd>{} in {} blobs</dd></div>
                </dl>""", countedAt == null ? "" : TIME.format(countedAt), totals.repositories(),
                totals.blobs(), ByteSizes.format(totals.blobBytes()),
                totals.manifests(), ByteSizes.format(totals.manifestBytes()),
                ByteSizes.format(totals.unreferencedBytes()), totals.unreferencedBlobs());
        Html rows = Html.each(largest, repository -> Html.of(
                "<tr><td><a href=\"{}\">{}</a></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
                repositoryPath(repository.name()), repository.name(), ByteSizes.format(repository.sizeBytes()),
                repository.images(), Html.each(quotas.of(repository.name()), quota -> Html.of("<div>{}: {}{}</div>",
                        quota.name(), quota.maxBytes() == null ? "" : ByteSizes.format(quota.maxBytes()),
                        quota.maxImages() == null ? "" : (quota.maxBytes() == null ? "" : ", ")
                                + quota.maxImages() + " images"))));
        Html body = Html.of("""
                <h1>Usage</h1>
                <form method="get" action="/ui/usage" class="filters">
                <input type="search" name="namespace" value="{}" placeholder="Namespace, such as team/" aria-label="Namespace">
                <button>Show</button>
                </form>
                <dl class="facts" id="namespace-usage">
                <div><dt>{}</dt><dd id="usage-bytes">{}</dd></div>
                <div><dt>Repositories</dt><dd>{}</dd></div>
                <div><dt>Blobs</dt><dd>{}</dd></div>
                <div><dt>Manifests</dt><dd>{}</dd></div>
                </dl>
                <p class="muted">Each blob is counted once however many repositories share it.{}</p>
                {}
                <h2>Largest repositories</h2>
                <table class="list" id="largest"><thead><tr><th>Repository</th><th class="num">Size</th>\
                <th class="num">Images</th><th>Quotas</th></tr></thead><tbody>
                {}</tbody></table>
                """, namespace, namespace.isEmpty() ? "All repositories" : "Under " + namespace,
                ByteSizes.format(usage.sizeBytes()), usage.repositories(), ByteSizes.format(usage.blobBytes()),
                ByteSizes.format(usage.manifestBytes()), namespace.isEmpty() ? Html.EMPTY
                        : Html.of(" <a href=\"/ui/usage\">All repositories</a>"), registryTotals, rows);
        return layout(viewer, "Usage", crumbs(null, Html.text("Usage")), body);
    }

    // ---- signing in, and errors

    public static Html login(Viewer viewer, String next, String error) {
        Html body = viewer.signIn() ? Html.of("""
                <h1>Sign in</h1>
                {}
                <form method="post" action="/ui/login" class="login">
                {}<input type="hidden" name="next" value="{}">
                <label>User name <input name="username" autocomplete="username" required autofocus></label>
                <label>Password or robot token <input type="password" name="password" autocomplete="current-password" required></label>
                <button>Sign in</button>
                </form>
                <p class="muted">Robots sign in as <code>robot$NAME</code> with their token.</p>
                """, error == null ? Html.EMPTY : Html.of("<p class=\"error\" role=\"alert\">{}</p>", error),
                csrfField(viewer), next)
                : Html.of("<h1>Sign in</h1><p>Authentication is off: everyone may browse and change everything.</p>");
        return layout(viewer, "Sign in", crumbs(null, Html.text("Sign in")), body);
    }

    public static Html error(Viewer viewer, int status, String message) {
        return layout(viewer, "Error " + status, crumbs(null, null), Html.of(
                "<h1>{}</h1><p class=\"error\" role=\"alert\">{}</p>", switch (status) {
                    case 403 -> "Not allowed";
                    case 404 -> "Not found";
                    default -> status >= 500 ? "Something went wrong" : "Cannot do that";
                }, message));
    }

    // ---- small things

    private static Html notice(String notice) {
        return notice == null ? Html.EMPTY : Html.of("<p class=\"notice\" role=\"status\">{}</p>", notice);
    }

    /** What an image is: an index, an image, an artifact, or a referrer of some kind. */
    private static String kind(ImageInfo image) {
        String artifactType = image.artifactType();
        if (image.subject() != null) {
            return artifactKind(artifactType == null ? "" : artifactType);
        }
        if (image.mediaType().contains("index") || image.mediaType().contains("manifest.list")) {
            return "Index";
        }
        if (artifactType == null || IMAGE_CONFIGS.contains(artifactType)) {
            return "Image";
        }
        String known = KINDS.get(artifactType);
        return known != null ? known : "Artifact";
    }

    private static String artifactKind(String artifactType) {
        String known = KINDS.get(artifactType);
        if (known != null) {
            return known;
        }
        return artifactType.isEmpty() ? "Referrer" : "Artifact";
    }

    private static String shortDigest(Digest digest) {
        String text = digest.toString();
        int colon = text.indexOf(':');
        return text.substring(0, Math.min(text.length(), colon + 13));
    }

    private static Html time(Instant instant) {
        if (instant == null) {
            return Html.of("<span class=\"muted\">never</span>");
        }
        return Html.of("<time datetime=\"{}\" title=\"{}\">{}</time>", instant, TIME.format(instant),
                ago(Duration.between(instant, Instant.now())));
    }

    private static String ago(Duration elapsed) {
        long seconds = Math.max(0, elapsed.toSeconds());
        if (seconds < 60) {
            return "just now";
        }
        if (seconds < 3600) {
            return plural(seconds / 60, "minute") + " ago";
        }
        if (seconds < 86_400) {
            return plural(seconds / 3600, "hour") + " ago";
        }
        return plural(seconds / 86_400, "day") + " ago";
    }

    private static String plural(long n, String unit) {
        return n + " " + unit + (n == 1 ? "" : "s");
    }

    private static String lower(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }
}
