package io.berth.server.http;

import io.berth.oci.Digest;
import io.berth.registry.ErrorCode;
import io.berth.registry.Page;
import io.berth.registry.Registry;
import io.berth.registry.RegistryException;
import io.berth.registry.inventory.ImageDetails;
import io.berth.registry.inventory.ImageInfo;
import io.berth.registry.inventory.ImageQuery;
import io.berth.registry.inventory.RepositoryInfo;
import io.berth.registry.inventory.RepositoryQuery;
import io.berth.server.auth.Authenticator;
import io.berth.server.auth.Identity;
import io.berth.server.ui.Html;
import io.berth.server.ui.Pages;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpCookie;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.FormFields;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web UI under {@code /ui/}: finds who is looking (by the session cookie), checks what the page's route needs,
 * reads what the page shows from the registry and sends {@link Pages}' markup. Forms that change anything carry a
 * token that must match a cookie of the UI's own (a cross-site form cannot read it), and their {@code Origin}, when
 * sent, must be the registry's. Errors are pages too.
 */
final class UiRoutes {
    static final String PREFIX = "/ui";
    static final String SESSION_COOKIE = "berth_session";
    static final String CSRF_COOKIE = "berth_csrf";
    private static final Logger LOG = LoggerFactory.getLogger(UiRoutes.class);
    private static final int PAGE_SIZE = 50;
    private static final int LARGEST = 20;
    private static final long MAX_FORM_BYTES = 16 * 1024;
    private static final Pattern CSRF_FORM = Pattern.compile("[A-Za-z0-9_-]{43}");
    private static final String CSRF_ATTRIBUTE = UiRoutes.class.getName() + ".csrf";
    private static final String CALLER_ATTRIBUTE = UiRoutes.class.getName() + ".caller";
    /** Pages run no inline script or style, load nothing from elsewhere, and may not be framed. */
    private static final List<HttpField> PAGE_HEADERS = List.of(
            new HttpField("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; "
                    + "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
            new HttpField("X-Content-Type-Options", "nosniff"),
            new HttpField("X-Frame-Options", "DENY"),
            new HttpField("Referrer-Policy", "same-origin"),
            new HttpField(HttpHeader.CACHE_CONTROL, "no-store"));

    private final Registry registry;
    private final ImageDetails details;
    private final Gate gate;
    private final ManagementRoutes management;
    private final RegistryTotals totals;
    private final Map<String, Asset> assets;
    private final SecureRandom random = new SecureRandom();

    UiRoutes(Registry registry, Gate gate, ManagementRoutes management) {
        this.registry = registry;
        this.details = registry == null ? null : new ImageDetails(registry);
        this.gate = gate;
        this.management = management;
        this.totals = registry == null ? null : new RegistryTotals(() -> registry.inventory().registryUsage(),
                Clock.systemUTC(), task -> Thread.ofVirtual().name("berth-registry-totals").start(task));
        this.assets = Map.of("berth.css", Asset.load("berth.css", "text/css;charset=utf-8"),
                "berth.js", Asset.load("berth.js", "text/javascript;charset=utf-8"),
                "berth.svg", Asset.load("berth.svg", "image/svg+xml"));
    }

    static boolean isPage(String path) {
        return path.equals(PREFIX) || path.startsWith(PREFIX + "/");
    }

    // ---- serving a page route

    /**
     * Serves a request to a page route ({@code match} null when no route has the path): the caller, the route's
     * need, the form's token for a POST, then the handler, with every failure answered as a page.
     */
    void serve(Request request, Response response, Callback callback, RouteTable.Match match) {
        try {
            Gate.Caller caller = gate.sessionCaller(request, SESSION_COOKIE);
            request.setAttribute(CALLER_ATTRIBUTE, caller);
            if (gate.enabled() && !caller.identity().authenticated()
                    && Gate.cookie(request, SESSION_COOKIE) != null) {
                // a session that ended (expired, or the password changed): dropped, so it is not checked again
                Response.addCookie(response, cookie(request, SESSION_COOKIE, "", HttpCookie.SameSite.LAX, 0));
            }
            if (match == null) {
                throw new HttpError(404, ErrorCode.NAME_UNKNOWN, "There is no such page.", (String) null);
            }
            RouteTable.Route route = match.route();
            if (route == null) {
                String allowed = String.join(", ", match.methods());
                throw new HttpError(405, ErrorCode.UNSUPPORTED, "This page takes " + allowed + " only.", null,
                        Map.of(HttpHeader.ALLOW.asString(), allowed));
            }
            Gate.Need need = match.need();
            if (match.access() != Access.PUBLIC && !gate.permits(caller, need)) {
                refuse(request, response, callback, caller, need);
                return;
            }
            if (request.getMethod().equals("POST")) {
                checkForm(request);
            }
            Exchange exchange = new Exchange(request, response, callback, caller, match.path(), match.values());
            ApiHandler.actingAs(caller, request, () -> route.handler().handle(exchange));
        } catch (RegistryException e) {
            sendError(request, response, callback, ErrorBody.status(e.code()), e.message());
        } catch (HttpError e) {
            e.headers().forEach(response.getHeaders()::put);
            sendError(request, response, callback, e.status(), e.message());
        } catch (Exception e) {
            LOG.error("{} {} failed", request.getMethod(), request.getHttpURI().getPathQuery(), e);
            sendError(request, response, callback, 500, "The registry failed to answer; its log says why.");
        }
    }

    /** An anonymous visitor is sent to sign in (and back); a signed-in one is told what is missing. */
    private void refuse(Request request, Response response, Callback callback, Gate.Caller caller, Gate.Need need) {
        if (!caller.identity().authenticated() && request.getMethod().equals("GET")) {
            redirect(response, callback, "/ui/login?next=" + Html.encode(request.getHttpURI().getPathQuery()));
            return;
        }
        gate.audit().denied(caller.subject(), caller.source(), request.getMethod(), request.getHttpURI().getPath(),
                need.scope() == null ? "authentication" : need.scope().toString(), 403);
        sendError(request, response, callback, 403, need.scope() == null || need.scope().name().equals("*")
                ? "You may not do this." : "You have no " + need.action() + " access to " + need.scope().name() + ".");
    }

    /**
     * A form that changes something must carry the token of the visitor's own cookie, and come from a page of the
     * registry's origin when the browser says where it comes from.
     */
    private void checkForm(Request request) {
        String origin = request.getHeaders().get(HttpHeader.ORIGIN);
        if (origin != null && !origin.equals(originOf(gate.baseUrl(request)))) {
            throw new HttpError(403, ErrorCode.DENIED, "This form was sent from another site (" + origin + ").",
                    (String) null);
        }
        String cookie = Gate.cookie(request, CSRF_COOKIE);
        String sent = form(request).getValue("csrf");
        if (cookie == null || sent == null || !CSRF_FORM.matcher(cookie).matches() || !MessageDigest.isEqual(
                cookie.getBytes(StandardCharsets.US_ASCII), sent.getBytes(StandardCharsets.US_ASCII))) {
            throw new HttpError(403, ErrorCode.DENIED, "This form has expired or was not sent from this registry's "
                    + "pages: reload the page and try again.", (String) null);
        }
    }

    private static String originOf(String baseUrl) {
        URI uri = URI.create(baseUrl);
        return uri.getScheme() + "://" + uri.getRawAuthority();
    }

    private static Fields form(Request request) {
        try {
            return FormFields.getFields(request, -1, (int) MAX_FORM_BYTES);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new HttpError(400, ErrorCode.UNSUPPORTED, "The form could not be read.", e.getMessage());
        }
    }

    // ---- pages

    /** {@code GET /ui}: the UI's home has a slash. */
    void root(Exchange exchange) {
        redirect(exchange.response(), exchange.callback(), Pages.ROOT);
    }

    /** {@code GET /ui/?q=TEXT&sort=name|pushed|size&cursor=C}: the repositories the viewer may pull. */
    void repositories(Exchange exchange) {
        Fields query = exchange.query();
        RepositoryQuery.Sort sort = ManagementRoutes.choice(query, "sort", RepositoryQuery.Sort.class,
                RepositoryQuery.Sort.NAME);
        String search = blankToNull(query.getValue("q"));
        ManagementRoutes.Listing listing = management.visibleRepositories(exchange.caller(),
                new RepositoryQuery(sort, search, blankToNull(query.getValue("cursor")), PAGE_SIZE), name -> true);
        send(exchange, 200, Pages.repositories(viewer(exchange), listing.items(), sort, search, listing.next()));
    }

    /** {@code GET /ui/r/NAME?type=…&tagged=…&cursor=C}: a repository and its images. */
    void repository(Exchange exchange) {
        String name = exchange.name();
        RepositoryInfo repository = registry.repository(name);
        Fields query = exchange.query();
        ImageQuery.Kind kind = ManagementRoutes.choice(query, "type", ImageQuery.Kind.class, ImageQuery.Kind.IMAGES);
        ImageQuery.Tagged tagged = ManagementRoutes.choice(query, "tagged", ImageQuery.Tagged.class,
                ImageQuery.Tagged.ANY);
        Page<ImageInfo> images = ManagementRoutes.fromCursor(() -> registry.inventory().images(name,
                new ImageQuery(kind, tagged, null, false, blankToNull(query.getValue("cursor")), PAGE_SIZE)));
        Pages.RepositoryView view = new Pages.RepositoryView(repository, registry.options().quotas().of(name),
                mayDelete(exchange), notice(query));
        send(exchange, 200, Pages.repository(viewer(exchange), view, images, kind, tagged));
    }

    /** What a page says after a deletion that sent the visitor there, from its query. */
    private static String notice(Fields query) {
        String tag = query.getValue("deletedTag");
        if (tag != null) {
            return "Tag " + tag + " deleted.";
        }
        return query.getValue("deletedImage") != null ? "Image " + query.getValue("deletedImage") + " deleted."
                : null;
    }

    /** {@code GET /ui/r/NAME/-/images/DIGEST}: one image, its referrer tree and how to pull it. */
    void image(Exchange exchange) {
        Digest digest = Registry.parseDigest(exchange.parameter("digest"));
        ImageDetails.ImageDetail detail = details.describe(exchange.name(), digest, null);
        send(exchange, 200, Pages.image(viewer(exchange), exchange.name(), detail, mayDelete(exchange)));
    }

    /**
     * {@code GET /ui/usage?namespace=PREFIX}: bytes stored under a namespace, the largest repositories, quotas; without
     * a namespace, of all repositories, with the registry's totals for an administrator.
     */
    void usage(Exchange exchange) {
        String namespace = Optional.ofNullable(exchange.query().getValue("namespace")).orElse("");
        Gate.Caller caller = exchange.caller();
        List<RepositoryInfo> largest = management.visibleRepositories(caller, new RepositoryQuery(
                RepositoryQuery.Sort.SIZE, blankToNull(namespace), null, LARGEST),
                name -> name.startsWith(namespace)).items();
        // The registry's totals count every blob and manifest: on the page of all repositories only, as counted
        // lately.
        RegistryTotals.Counted counted = namespace.isEmpty() && gate.permits(caller, Gate.Need.ADMIN) ? totals.get()
                : null;
        send(exchange, 200, Pages.usage(viewer(exchange), namespace, management.usage(caller, namespace),
                counted == null ? null : counted.usage(), counted == null ? null : counted.at(), largest,
                registry.options().quotas()));
    }

    // ---- deletions: a question first (GET), then the form's POST

    void confirmDeleteRepository(Exchange exchange) {
        String name = exchange.name();
        RepositoryInfo repository = registry.repository(name);
        send(exchange, 200, Pages.confirm(viewer(exchange), name, "Delete repository " + name + "?",
                "Its " + repository.tags() + " tags and every manifest go; blobs no other repository uses are freed "
                        + "by the next garbage collection. This cannot be undone.",
                Pages.repositoryPath(name) + "/-/delete", Pages.repositoryPath(name)));
    }

    void deleteRepository(Exchange exchange) {
        registry.deleteRepository(exchange.name());
        redirect(exchange.response(), exchange.callback(), Pages.ROOT);
    }

    void confirmDeleteTag(Exchange exchange) {
        String name = exchange.name();
        String tag = exchange.parameter("tag");
        registry.checkExists(name);
        send(exchange, 200, Pages.confirm(viewer(exchange), name, "Delete tag " + name + ":" + tag + "?",
                "The tag goes; the image it points at stays, under its other tags or untagged.",
                Pages.repositoryPath(name) + "/-/tags/" + tag + "/delete", Pages.repositoryPath(name)));
    }

    void deleteTag(Exchange exchange) {
        String tag = exchange.parameter("tag");
        registry.deleteManifest(exchange.name(), tag);
        redirect(exchange.response(), exchange.callback(), Pages.repositoryPath(exchange.name()) + "?deletedTag="
                + Html.encode(tag));
    }

    void confirmDeleteImage(Exchange exchange) {
        String name = exchange.name();
        Digest digest = Registry.parseDigest(exchange.parameter("digest"));
        registry.checkExists(name);
        send(exchange, 200, Pages.confirm(viewer(exchange), name, "Delete image " + name + "@" + digest + "?",
                "The manifest and every tag on it go. This cannot be undone.",
                Pages.imagePath(name, digest) + "/delete", Pages.imagePath(name, digest)));
    }

    void deleteImage(Exchange exchange) {
        Digest digest = Registry.parseDigest(exchange.parameter("digest"));
        registry.deleteManifest(exchange.name(), digest.toString());
        redirect(exchange.response(), exchange.callback(), Pages.repositoryPath(exchange.name())
                + "?deletedImage=" + Html.encode(digest.toString()));
    }

    private boolean mayDelete(Exchange exchange) {
        return gate.permits(exchange.caller(), Access.DELETE.need(exchange.name()));
    }

    // ---- signing in and out

    /** {@code GET /ui/login?next=PATH}. */
    void loginPage(Exchange exchange) {
        send(exchange, 200, Pages.login(viewer(exchange), next(exchange.query().getValue("next")), null));
    }

    /**
     * {@code POST /ui/login}: a user's password or a robot's token, checked as at {@code /token} (throttled and
     * audited), traded for a session cookie.
     */
    void login(Exchange exchange) throws Exception {
        Authenticator authenticator = gate.authenticator();
        Fields form = form(exchange.request());
        String next = next(form.getValue("next"));
        if (authenticator == null) {
            redirect(exchange.response(), exchange.callback(), next);
            return;
        }
        String username = Optional.ofNullable(form.getValue("username")).orElse("");
        String password = Optional.ofNullable(form.getValue("password")).orElse("");
        Optional<Identity> identity;
        try {
            identity = username.isEmpty() ? Optional.empty()
                    : authenticator.password(username, password, exchange.caller().source(), "ui");
        } catch (Authenticator.ThrottledException e) {
            send(exchange, 429, Pages.login(viewer(exchange), next, e.getMessage()));
            return;
        }
        Optional<String> session = identity.flatMap(who -> authenticator.sessionToken(who, Instant.now()));
        if (session.isEmpty()) {
            send(exchange, 401, Pages.login(viewer(exchange), next, "Incorrect user name or password."));
            return;
        }
        Response.addCookie(exchange.response(), cookie(exchange.request(), SESSION_COOKIE, session.get(),
                HttpCookie.SameSite.LAX, -1));
        redirect(exchange.response(), exchange.callback(), next);
    }

    /** {@code POST /ui/logout}: the session cookie is dropped. */
    void logout(Exchange exchange) {
        Response.addCookie(exchange.response(), cookie(exchange.request(), SESSION_COOKIE, "",
                HttpCookie.SameSite.LAX, 0));
        redirect(exchange.response(), exchange.callback(), Pages.ROOT);
    }

    /** Where to go after signing in: a page of the UI, never another site. */
    private static String next(String next) {
        return next != null && next.startsWith(PREFIX + "/") && !next.contains("\\") ? next : Pages.ROOT;
    }

    // ---- static files

    /** {@code GET /ui/static/FILE}: the style sheet and the script, from the server's own resources. */
    void asset(Exchange exchange) {
        Asset asset = assets.get(exchange.parameter("file"));
        if (asset == null) {
            throw new HttpError(404, ErrorCode.NAME_UNKNOWN, "There is no such file.", (String) null);
        }
        var headers = exchange.response().getHeaders();
        headers.put(HttpHeader.ETAG, asset.etag());
        headers.put(HttpHeader.CACHE_CONTROL, "no-cache");
        headers.put("X-Content-Type-Options", "nosniff");
        if (asset.etag().equals(exchange.request().getHeaders().get(HttpHeader.IF_NONE_MATCH))) {
            Responses.sendEmpty(exchange.response(), exchange.callback(), 304);
            return;
        }
        Responses.send(exchange.response(), exchange.callback(), 200, asset.contentType(), asset.bytes());
    }

    private record Asset(byte[] bytes, String contentType, String etag) {
        static Asset load(String file, String contentType) {
            try (InputStream in = UiRoutes.class.getResourceAsStream("/ui/" + file)) {
                if (in == null) {
                    throw new IllegalStateException("/ui/" + file + " is missing from the server's resources");
                }
                byte[] bytes = in.readAllBytes();
                byte[] hash = MessageDigest.getInstance("SHA-256").digest(bytes);
                return new Asset(bytes, contentType, "\"" + HexFormat.of().formatHex(hash, 0, 8) + "\"");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    // ---- plumbing

    /**
     * Who looks at the page, with the token the page's forms send back: the visitor's CSRF cookie, set now when the
     * visitor has none.
     */
    private Pages.Viewer viewer(Request request, Response response, Gate.Caller caller) {
        String csrf = (String) request.getAttribute(CSRF_ATTRIBUTE);
        if (csrf == null) {
            csrf = Gate.cookie(request, CSRF_COOKIE);
            if (csrf == null || !CSRF_FORM.matcher(csrf).matches()) {
                byte[] bytes = new byte[32];
                random.nextBytes(bytes);
                csrf = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
                Response.addCookie(response, cookie(request, CSRF_COOKIE, csrf, HttpCookie.SameSite.STRICT, -1));
            }
            request.setAttribute(CSRF_ATTRIBUTE, csrf);
        }
        String baseUrl = gate.baseUrl(request);
        URI uri = URI.create(baseUrl);
        String user = caller != null && caller.identity().authenticated() ? caller.identity().subject() : null;
        return new Pages.Viewer(user, gate.enabled(), csrf, uri.getRawAuthority(), uri.getScheme().equals("http"));
    }

    private Pages.Viewer viewer(Exchange exchange) {
        return viewer(exchange.request(), exchange.response(), exchange.caller());
    }

    /** A cookie of the UI's: for its pages only, out of scripts' reach, and sent only over TLS when that is used. */
    private HttpCookie cookie(Request request, String name, String value, HttpCookie.SameSite sameSite, long maxAge) {
        return HttpCookie.build(name, value).path(PREFIX).httpOnly(true).sameSite(sameSite)
                .secure(gate.baseUrl(request).startsWith("https:")).maxAge(maxAge).build();
    }

    private static void send(Exchange exchange, int status, Html page) {
        send(exchange.response(), exchange.callback(), status, page);
    }

    private static void send(Response response, Callback callback, int status, Html page) {
        PAGE_HEADERS.forEach(response.getHeaders()::put);
        Responses.send(response, callback, status, "text/html;charset=utf-8",
                page.toString().getBytes(StandardCharsets.UTF_8));
    }

    private void sendError(Request request, Response response, Callback callback, int status, String message) {
        if (response.isCommitted()) {
            callback.failed(new IOException("failed after the response was committed"));
            return;
        }
        Gate.Caller caller = (Gate.Caller) request.getAttribute(CALLER_ATTRIBUTE);
        Responses.drain(request, Responses.REFUSED_BODY_DRAINED);
        send(response, callback, status, Pages.error(viewer(request, response, caller), status, message));
    }

    private static void redirect(Response response, Callback callback, String location) {
        response.getHeaders().put(HttpHeader.LOCATION, location);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        Responses.sendEmpty(response, callback, 303);
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
