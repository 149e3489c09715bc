package io.berth.server.http;

import io.berth.registry.ErrorCode;
import io.berth.registry.Registry;
import io.berth.registry.RegistryException;
import io.berth.registry.StorageFull;
import io.berth.registry.blob.StorageUnavailableException;
import io.berth.registry.Uploads;
import io.berth.registry.events.Actor;
import io.berth.server.AuthConfig;
import io.berth.server.auth.AccessPolicy;
import io.berth.server.auth.AuditLog;
import io.berth.server.auth.Authenticator;
import io.berth.server.events.Notifier;
import io.berth.server.gc.CollectionRunner;
import io.berth.server.lifecycle.Lifecycle;
import java.io.IOException;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Berth's HTTP API: finds each request's route in the {@link Routes} table, lets through only callers with the
 * access the route needs, runs its handler, and turns every failure into the spec's error answer. No registry rules
 * here, and no answers of its own beyond errors.
 */
public final class ApiHandler extends Handler.Abstract {
    private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
    private static final HttpField API_VERSION = new HttpField("Docker-Distribution-API-Version", "registry/2.0");
    private static final String REQUEST_ID = "X-Request-Id";
    /** What a 503 for unavailable storage (blobs or metadata) asks clients to wait before they retry. */
    private static final long UNAVAILABLE_RETRY_AFTER_SECONDS = 5;
    private static final Pattern REQUEST_ID_FORM = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private final RouteTable routes;
    private final Gate gate;
    private final UiRoutes ui;
    private final Executor blocking = Executors.newVirtualThreadPerTaskExecutor();
    private final StorageFailureLog storageFull = StorageFailureLog.full();
    private final StorageFailureLog storageUnavailable = StorageFailureLog.unavailable();
    private final StorageFailureLog metadataUnavailable = StorageFailureLog.metadataUnavailable();
    /** Null when metrics are switched off: requests then go unobserved, at no cost. */
    private final HttpMetrics metrics;

    private ApiHandler(Registry registry, Uploads uploads, int maxManifestBytes, Gate gate, TokenEndpoint tokens,
                       Lifecycle lifecycle, CollectionRunner collections, Notifier notifier, Monitoring monitoring) {
        this.gate = gate;
        ManagementRoutes management = new ManagementRoutes(registry, gate);
        this.ui = new UiRoutes(registry, gate, management);
        this.routes = Routes.table(new ListingRoutes(registry, gate), new ManifestRoutes(registry, maxManifestBytes,
                        gate), new BlobRoutes(registry), new UploadRoutes(uploads, gate), tokens,
                new GcAdmin(collections), new LifecycleAdmin(lifecycle, gate.audit()), new EventsAdmin(notifier),
                management, ui, new HealthRoutes(monitoring, gate));
        this.metrics = monitoring.metrics() == null ? null
                : new HttpMetrics(monitoring.metrics().registry(), routes);
    }

    /** The API for everyone, anonymously. */
    public static ApiHandler open(Registry registry, Uploads uploads, int maxManifestBytes, AuditLog audit,
                                  Lifecycle lifecycle, CollectionRunner collections, Notifier notifier,
                                  Monitoring monitoring) {
        return new ApiHandler(registry, uploads, maxManifestBytes, Gate.open(audit), null, lifecycle, collections,
                notifier, monitoring);
    }

    /**
     * The API behind authentication and the policy, with the token endpoint at {@code /token}.
     *
     * @param clientCertificate the common name of a request's verified client certificate, if any
     */
    public static ApiHandler secured(Registry registry, Uploads uploads, int maxManifestBytes,
                                     Authenticator authenticator, AccessPolicy policy, AuditLog audit,
                                     AuthConfig auth, Clock clock,
                                     Function<Request, Optional<String>> clientCertificate, Lifecycle lifecycle,
                                     CollectionRunner collections, Notifier notifier, Monitoring monitoring) {
        ClientOrigin origin = ClientOrigin.trusting(auth.trustedProxies());
        Gate gate = Gate.secured(authenticator, policy, audit, auth.service(), auth.realm(), clientCertificate,
                origin);
        return new ApiHandler(registry, uploads, maxManifestBytes, gate,
                new TokenEndpoint(authenticator, policy, clock, clientCertificate, origin), lifecycle,
                collections, notifier, monitoring);
    }

    /**
     * Jetty may call {@link #handle} on an I/O thread: pulls of cached manifests and listings are answered right
     * there, with no thread hop; everything else runs on a virtual thread of its own, where blocking is fine.
     */
    @Override
    public InvocationType getInvocationType() {
        return InvocationType.NON_BLOCKING;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        RouteTable.Match match = routes.find(request.getMethod(), path);
        if (metrics == null) {
            return dispatch(request, response, callback, path, match);
        }
        HttpMetrics.Observed observed = metrics.observe(request, response, callback, match);
        return dispatch(observed.request(), observed.response(), observed.callback(), path, match);
    }

    private boolean dispatch(Request request, Response response, Callback callback, String path,
                             RouteTable.Match match) {
        if (UiRoutes.isPage(path)) {
            blocking.execute(() -> ui.serve(request, response, callback, match));
            return true;
        }
        response.getHeaders().put(API_VERSION);
        RouteTable.Route route = match == null ? null : match.route();
        if (route != null && route.immediate() != null && gate.admitsWithoutBlocking(request, match.need())
                && route.immediate().tryHandle(new Exchange(request, response, callback, null, match.path(),
                match.values()))) {
            return true;
        }
        blocking.execute(() -> handleBlocking(request, response, callback, () -> {
            boolean open = match != null && match.access() == Access.PUBLIC;
            Gate.Caller caller = open ? null : gate.caller(request);
            Gate.Need need = match == null ? Gate.Need.AUTHENTICATED : match.need();
            if (!open && !gate.permits(caller, need)) {
                throw gate.refusal(caller, need, request);
            }
            if (match == null) {
                throw new HttpError(404, ErrorCode.NAME_UNKNOWN, "no such endpoint");
            }
            if (route == null) {
                String allowed = String.join(", ", match.methods());
                throw new HttpError(405, ErrorCode.UNSUPPORTED, "method not allowed; use " + allowed, null,
                        Map.of(HttpHeader.ALLOW.asString(), allowed));
            }
            Exchange exchange = new Exchange(request, response, callback, caller, match.path(), match.values());
            if (open) {
                route.handler().handle(exchange); // who asks is the handler's business (the token endpoint's)
                return;
            }
            actingAs(caller, request, () -> route.handler().handle(exchange));
        }));
        return true;
    }

    /**
     * Runs a request's work with its caller as the {@link Actor} of the changes it makes, under the request id the
     * client sent in {@code X-Request-Id} (when it is a short token) or a new one.
     */
    static void actingAs(Gate.Caller caller, Request request, Work work) throws Exception {
        String sent = request.getHeaders().get(REQUEST_ID);
        String requestId = sent != null && REQUEST_ID_FORM.matcher(sent).matches() ? sent : UUID.randomUUID().toString();
        Actor actor = new Actor(caller.actorKind(), caller.actorName(), caller.source(), requestId);
        ScopedValue.where(Actor.CURRENT, actor).call(() -> {
            work.run();
            return null;
        });
    }

    /** A request's work on a virtual thread, with every failure turned into the spec's error answer. */
    interface Work {
        void run() throws Exception;
    }

    private void handleBlocking(Request request, Response response, Callback callback, Work work) {
        try {
            work.run();
        } catch (RegistryException e) {
            Responses.drain(request, Responses.REFUSED_BODY_DRAINED);
            sendError(response, callback, ErrorBody.status(e.code()), e.code(), e.message(), e.detail());
        } catch (HttpError e) {
            Responses.drain(request, Responses.REFUSED_BODY_DRAINED);
            e.headers().forEach(response.getHeaders()::put);
            sendError(response, callback, e.status(), e.code(), e.message(), e.getMessage());
        } catch (EofException e) {
            sendError(response, callback, 400, ErrorCode.BLOB_UPLOAD_INVALID, ErrorCode.BLOB_UPLOAD_INVALID.message(),
                    "request body ended early");
        } catch (Exception e) {
            if (StorageFull.causes(e)) {
                // The server's failure, not the request's, and one that lasts: RFC 4918's 507, said once in the log.
                Responses.drain(request, Responses.REFUSED_BODY_DRAINED);
                storageFull.failed(request.getMethod(), request.getHttpURI().getPath(), e);
                if (metrics != null) {
                    metrics.storageFull();
                }
                sendError(response, callback, 507, null, StorageFailureLog.FULL, null);
                return;
            }
            if (StorageUnavailableException.causes(e)) {
                // An object store that is down or throttling: a 503, which clients retry, and no stack trace per request.
                Responses.drain(request, Responses.REFUSED_BODY_DRAINED);
                storageUnavailable.failed(request.getMethod(), request.getHttpURI().getPath(), e);
                if (metrics != null) {
                    metrics.storageUnavailable();
                }
                response.getHeaders().put(HttpHeader.RETRY_AFTER, UNAVAILABLE_RETRY_AFTER_SECONDS);
                sendError(response, callback, 503, null, StorageFailureLog.UNAVAILABLE, null);
                return;
            }
            if (MetadataOutage.causes(e)) {
                // The database is restarting or unreachable: as with the object store, a 503 that clients retry.
                Responses.drain(request, Responses.REFUSED_BODY_DRAINED);
                metadataUnavailable.failed(request.getMethod(), request.getHttpURI().getPath(), e);
                response.getHeaders().put(HttpHeader.RETRY_AFTER, UNAVAILABLE_RETRY_AFTER_SECONDS);
                sendError(response, callback, 503, null, StorageFailureLog.METADATA_UNAVAILABLE, null);
                return;
            }
            LOG.error("{} {} failed", request.getMethod(), request.getHttpURI().getPathQuery(), e);
            sendError(response, callback, 500, null, null, null);
        } catch (Error e) {
            // Out of memory, say: Jetty answers 500 or closes the connection, and the request does not hang forever.
            callback.failed(e);
            LOG.error("{} {} failed", request.getMethod(), request.getHttpURI().getPathQuery(), e);
        }
    }

    private static void sendError(Response response, Callback callback, int status, ErrorCode code, String message,
                                  String detail) {
        if (response.isCommitted()) {
            callback.failed(new IOException("failed after the response was committed"));
            return;
        }
        var headers = response.getHeaders();
        headers.remove(HttpHeader.LOCATION);
        headers.remove("Docker-Content-Digest");
        headers.remove(HttpHeader.ETAG);
        byte[] body = code == null
                ? ErrorBody.of("UNKNOWN", message == null ? "internal server error" : message, null)
                : ErrorBody.of(code.wireCode(), message, detail);
        Responses.send(response, callback, status, "application/json", body);
    }
}
