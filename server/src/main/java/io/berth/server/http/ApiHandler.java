package io.berth.server.http;

import io.berth.oci.Digest;
import io.berth.oci.MediaTypes;
import io.berth.registry.BlobUpload;
import io.berth.registry.ErrorCode;
import io.berth.registry.MountResult;
import io.berth.registry.Page;
import io.berth.registry.PushedManifest;
import io.berth.registry.Registry;
import io.berth.registry.RegistryException;
import io.berth.registry.RenderedPage;
import io.berth.registry.StorageFull;
import io.berth.registry.Uploads;
import io.berth.registry.blob.BlobContent;
import io.berth.registry.events.Actor;
import io.berth.registry.metadata.StoredManifest;
import io.berth.server.AuthConfig;
import io.berth.server.auth.AccessPolicy;
import io.berth.server.auth.AuditLog;
import io.berth.server.auth.Authenticator;
import io.berth.server.lifecycle.Lifecycle;
import io.berth.server.events.Notifier;
import io.berth.server.gc.CollectionRunner;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The OCI distribution API: parses each request, calls the registry, writes the answer. No registry rules here.
 */
public final class ApiHandler extends Handler.Abstract {
    private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpField API_VERSION = new HttpField("Docker-Distribution-API-Version", "registry/2.0");
    private static final String REQUEST_ID = "X-Request-Id";
    private static final Pattern REQUEST_ID_FORM = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final Pattern CONTENT_RANGE = Pattern.compile("(?:bytes )?(\\d+)-(\\d+)(?:/(?:\\d+|\\*))?");
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");
    private static final int MAX_TAGS_PAGE = 100_000;
    private static final int DEFAULT_CATALOG_PAGE = 1000;
    /** Oversized manifests are read to their end up to this size before the 413. */
    private static final long MAX_DISCARDED_BODY = 64L * 1024 * 1024;
    /** Bodies of other refused requests are read up to this size before the error. */
    static final long REFUSED_BODY_DRAINED = 1024 * 1024;
    /** Smaller blob bytes go from the file to the socket through pooled direct buffers, never the heap. */
    private static final int BLOB_BUFFER_SIZE = 128 * 1024;
    /** Blobs this large are sent from memory-mapped windows of their file; smaller ones are cheaper to read. */
    private static final long MAPPED_MINIMUM = 1024 * 1024;

    private final Registry registry;
    private final Uploads uploads;
    private final int maxManifestBytes;
    private final ManifestBudget manifestBudget;
    private final Gate gate;
    private final TokenEndpoint tokens;
    private final AdminApi admin;
    private final Executor blocking = Executors.newVirtualThreadPerTaskExecutor();
    private final StorageFullLog storageFull = new StorageFullLog();

    private ApiHandler(Registry registry, Uploads uploads, int maxManifestBytes, Gate gate, TokenEndpoint tokens,
                       Lifecycle lifecycle, CollectionRunner collections, Notifier notifier) {
        this.registry = registry;
        this.uploads = uploads;
        this.maxManifestBytes = maxManifestBytes;
        this.manifestBudget = new ManifestBudget(maxManifestBytes);
        this.gate = gate;
        this.tokens = tokens;
        this.admin = new AdminApi(gate, lifecycle, collections, notifier);
    }

    /** The API for everyone, anonymously. */
    public static ApiHandler open(Registry registry, Uploads uploads, int maxManifestBytes, AuditLog audit,
                                  Lifecycle lifecycle, CollectionRunner collections, Notifier notifier) {
        return new ApiHandler(registry, uploads, maxManifestBytes, Gate.open(audit), null, lifecycle, collections,
                notifier);
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
                                     CollectionRunner collections, Notifier notifier) {
        ClientOrigin origin = ClientOrigin.trusting(auth.trustedProxies());
        Gate gate = Gate.secured(authenticator, policy, audit, auth.service(), auth.realm(), clientCertificate,
                origin);
        return new ApiHandler(registry, uploads, maxManifestBytes, gate,
                new TokenEndpoint(authenticator, policy, clock, clientCertificate, origin), lifecycle,
                collections, notifier);
    }

    /**
     * Jetty may call {@link #handle} on an I/O thread: pulls of cached manifests are answered right there, with no
     * thread hop; everything else runs on a virtual thread of its own, where blocking is fine.
     */
    @Override
    public InvocationType getInvocationType() {
        return InvocationType.NON_BLOCKING;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        response.getHeaders().put(API_VERSION);
        String path = Request.getPathInContext(request);
        if (tokens != null && path.equals("/token")) {
            blocking.execute(() -> handleBlocking(request, response, callback, () -> sendJson(response, callback,
                    200, "application/json", tokens.answer(request))));
            return true;
        }
        if (path.startsWith("/admin/")) {
            blocking.execute(() -> handleBlocking(request, response, callback, () -> {
                Gate.Caller caller = gate.caller(request);
                actingAs(caller, request, () -> admin.handle(caller, path, request, response, callback));
            }));
            return true;
        }
        Route route = Route.of(path);
        boolean manifestPull = route.endpoint() == Route.Endpoint.MANIFEST
                && (HttpMethod.GET.is(request.getMethod()) || HttpMethod.HEAD.is(request.getMethod()));
        boolean listing = (route.endpoint() == Route.Endpoint.REFERRERS || route.endpoint() == Route.Endpoint.TAGS)
                && HttpMethod.GET.is(request.getMethod());
        if ((manifestPull || listing) && gate.admitsWithoutBlocking(request, route)) {
            if (manifestPull) {
                Optional<StoredManifest> cached = registry.cachedManifest(route.name(), route.reference());
                if (cached.isPresent()) {
                    sendManifest(route.name(), cached.get(), request, response, callback);
                    return true;
                }
            } else if (route.endpoint() == Route.Endpoint.TAGS ? tagsFromCache(route, request, response, callback)
                    : referrersFromCache(route, request, response, callback)) {
                return true;
            }
        }
        blocking.execute(() -> handleBlocking(request, response, callback, () -> {
            Gate.Caller caller = gate.caller(request);
            Gate.Need need = Gate.need(route, request.getMethod());
            if (!gate.permits(caller, need)) {
                throw gate.refusal(caller, need, request);
            }
            actingAs(caller, request, () -> dispatch(route, caller, request, response, callback));
        }));
        return true;
    }

    /**
     * Runs a request's work with its caller as the {@link Actor} of the changes it makes, under the request id the
     * client sent in {@code X-Request-Id} (when it is a short token) or a new one.
     */
    private static void actingAs(Gate.Caller caller, Request request, Work work) throws Exception {
        String sent = request.getHeaders().get(REQUEST_ID);
        String requestId = sent != null && REQUEST_ID_FORM.matcher(sent).matches() ? sent : UUID.randomUUID().toString();
        Actor actor = new Actor(caller.actorKind(), caller.actorName(), caller.source(), requestId);
        ScopedValue.where(Actor.CURRENT, actor).call(() -> {
            work.run();
            return null;
        });
    }

    /** A request's work on a virtual thread, with every failure turned into the spec's error answer. */
    private interface Work {
        void run() throws Exception;
    }

    private void handleBlocking(Request request, Response response, Callback callback, Work work) {
        try {
            work.run();
        } catch (RegistryException e) {
            drain(request, REFUSED_BODY_DRAINED);
            sendError(response, callback, ErrorBody.status(e.code()), e.code(), e.message(), e.detail());
        } catch (RangeError e) {
            response.getHeaders().put(HttpHeader.CONTENT_RANGE, "bytes */" + e.size);
            sendError(response, callback, e.status(), e.code(), e.getMessage());
        } catch (HttpError e) {
            drain(request, REFUSED_BODY_DRAINED);
            e.headers().forEach(response.getHeaders()::put);
            sendError(response, callback, e.status(), e.code(), e.message(), e.getMessage());
        } catch (EofException e) {
            sendError(response, callback, 400, ErrorCode.BLOB_UPLOAD_INVALID, "request body ended early");
        } catch (Exception e) {
            if (StorageFull.causes(e)) {
                // The server's failure, not the request's, and one that lasts: RFC 4918's 507, said once in the log.
                drain(request, REFUSED_BODY_DRAINED);
                storageFull.failed(request.getMethod(), request.getHttpURI().getPath(), e);
                sendError(response, callback, 507, null, StorageFullLog.MESSAGE, null);
                return;
            }
            LOG.error("{} {} failed", request.getMethod(), request.getHttpURI().getPathQuery(), e);
            sendError(response, callback, 500, null, null);
        } catch (Error e) {
            // Out of memory, say: Jetty answers 500 or closes the connection, and the request does not hang forever.
            callback.failed(e);
            LOG.error("{} {} failed", request.getMethod(), request.getHttpURI().getPathQuery(), e);
        }
    }

    private void dispatch(Route route, Gate.Caller caller, Request request, Response response, Callback callback)
            throws IOException, InterruptedException {
        String method = request.getMethod();
        switch (route.endpoint()) {
            case BASE -> {
                allow(method, "GET", "HEAD");
                sendJson(response, callback, 200, "application/json", "{}".getBytes(StandardCharsets.UTF_8));
            }
            case CATALOG -> {
                allow(method, "GET");
                catalog(request, gate.pullable(caller), response, callback);
            }
            case TAGS -> {
                allow(method, "GET");
                tags(route, request, response, callback);
            }
            case MANIFEST -> {
                switch (method) {
                    case "GET", "HEAD" -> getManifest(route, request, response, callback);
                    case "PUT" -> {
                        try {
                            putManifest(route, caller, request, response, callback);
                        } catch (RegistryException e) {
                            // The registry denies a push it was allowed to attempt: an immutable tag would move.
                            if (e.code() == ErrorCode.DENIED) {
                                gate.audit().refused("push", caller.subject(), caller.source(), route.name(),
                                        route.reference(), e.detail());
                            }
                            throw e;
                        }
                    }
                    case "DELETE" -> {
                        registry.deleteManifest(route.name(), route.reference());
                        sendEmpty(response, callback, 202);
                    }
                    default -> throw notAllowed("GET, HEAD, PUT, DELETE");
                }
            }
            case BLOB -> {
                switch (method) {
                    case "GET", "HEAD" -> getBlob(route, request, response, callback);
                    case "DELETE" -> {
                        registry.deleteBlob(route.name(), Registry.parseDigest(route.reference()));
                        sendEmpty(response, callback, 202);
                    }
                    default -> throw notAllowed("GET, HEAD, DELETE");
                }
            }
            case UPLOAD_START -> {
                allow(method, "POST");
                startUpload(route, caller, request, response, callback);
            }
            case UPLOAD -> upload(route, request, response, callback);
            case REFERRERS -> {
                allow(method, "GET");
                referrers(route, request, response, callback);
            }
            case UNKNOWN -> sendError(response, callback, 404, ErrorCode.NAME_UNKNOWN, "no such endpoint");
        }
    }

    // ---- manifests

    private void getManifest(Route route, Request request, Response response, Callback callback) {
        sendManifest(route.name(), registry.manifest(route.name(), route.reference()), request, response, callback);
    }

    /**
     * A GET is a pull and its time is noted for lifecycle policies; a HEAD is not, as clients such as docker send
     * HEAD to check whether a tag moved, often, without fetching anything.
     */
    private void sendManifest(String repository, StoredManifest manifest, Request request, Response response,
                              Callback callback) {
        var headers = response.getHeaders();
        headers.put(HttpHeader.CONTENT_TYPE, manifest.mediaType());
        headers.put("Docker-Content-Digest", manifest.digest().toString());
        headers.put(HttpHeader.ETAG, "\"" + manifest.digest() + "\"");
        headers.put(HttpHeader.CONTENT_LENGTH, manifest.size());
        response.setStatus(200);
        if (HttpMethod.HEAD.is(request.getMethod())) {
            endWithoutBody(response, callback);
        } else {
            registry.pulled(repository, manifest.digest());
            response.write(true, ByteBuffer.wrap(manifest.payload()), callback);
        }
    }

    /**
     * Stores a pushed manifest, then answers: the store has told the audit log and the notifier of its events by
     * then, so a client that has its 201 finds the push audited.
     */
    private void putManifest(Route route, Gate.Caller caller, Request request, Response response, Callback callback)
            throws IOException, InterruptedException {
        long declared = request.getLength();
        if (declared > maxManifestBytes) {
            drain(request, MAX_DISCARDED_BODY);
            throw new HttpError(413, ErrorCode.SIZE_INVALID, "manifest larger than " + maxManifestBytes + " bytes");
        }
        PushedManifest pushed;
        try (ManifestBudget.Reservation room = manifestBudget.reserve(declared)) {
            byte[] payload;
            try (InputStream in = Content.Source.asInputStream(request)) {
                payload = in.readNBytes(maxManifestBytes + 1);
            } catch (EofException e) {
                // the client went away mid-body, or sent a malformed chunk (Jetty reads both as an early end)
                throw new HttpError(400, ErrorCode.MANIFEST_INVALID, "request body ended early");
            }
            if (payload.length > maxManifestBytes) {
                throw new HttpError(413, ErrorCode.SIZE_INVALID,
                        "manifest larger than " + maxManifestBytes + " bytes");
            }
            if (declared >= 0 && declared != payload.length) {
                throw new HttpError(400, ErrorCode.SIZE_INVALID, "Content-Length does not match the body");
            }
            List<String> extraTags = queryParameters(request).getValues("tag");
            pushed = registry.putManifest(route.name(), route.reference(),
                    request.getHeaders().get(HttpHeader.CONTENT_TYPE), payload,
                    extraTags == null ? List.of() : extraTags);
        }
        var headers = response.getHeaders();
        headers.put(HttpHeader.LOCATION, "/v2/" + route.name() + "/manifests/" + pushed.digest());
        headers.put("Docker-Content-Digest", pushed.digest().toString());
        if (pushed.subject() != null) {
            headers.put("OCI-Subject", pushed.subject().toString());
        }
        for (String tag : pushed.tags()) {
            headers.add("OCI-Tag", tag);
        }
        sendEmpty(response, callback, 201);
    }

    /**
     * Reads what is left of a refused request's body, up to {@code limit} bytes, so a client still sending it reads
     * the error rather than a reset connection (Go's HTTP server does the same with 256 KiB); past the limit Jetty
     * closes the connection. Failures here change nothing about the answer.
     */
    private static void drain(Request request, long limit) {
        if (!hasBody(request)) {
            return;
        }
        try (InputStream in = Content.Source.asInputStream(request)) {
            byte[] buffer = new byte[64 * 1024];
            long read = 0;
            int n;
            while (read < limit && (n = in.read(buffer, 0, (int) Math.min(buffer.length, limit - read))) > 0) {
                read += n;
            }
        } catch (IOException | RuntimeException e) {
            // the body was consumed already, or the client went away
        }
    }

    /**
     * Whether the request may carry a body: a positive length, one sent in chunks, or, over HTTP/2, any request that
     * declares no length (its body comes in DATA frames, with no header to announce it).
     */
    private static boolean hasBody(Request request) {
        long length = request.getLength();
        return length > 0 || (length < 0 && (request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING)
                || request.getConnectionMetaData().getHttpVersion().getVersion() >= HttpVersion.HTTP_2.getVersion()));
    }

    // ---- blobs

    private void getBlob(Route route, Request request, Response response, Callback callback) throws IOException {
        Digest digest = Registry.parseDigest(route.reference());
        BlobContent blob = registry.openBlob(route.name(), digest);
        long size = blob.size();
        var headers = response.getHeaders();
        headers.put("Docker-Content-Digest", digest.toString());
        headers.put(HttpHeader.ETAG, "\"" + digest + "\"");
        headers.put(HttpHeader.ACCEPT_RANGES, "bytes");
        headers.put(HttpHeader.CACHE_CONTROL, "max-age=31536000");
        headers.put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
        long offset = 0;
        long length = size;
        String range = request.getHeaders().get(HttpHeader.RANGE);
        boolean partial = false;
        if (range != null && !HttpMethod.HEAD.is(request.getMethod())) {
            long[] span = parseRange(range, size);
            if (span != null) {
                offset = span[0];
                length = span[1] - span[0] + 1;
                partial = true;
                headers.put(HttpHeader.CONTENT_RANGE, "bytes " + span[0] + "-" + span[1] + "/" + size);
            }
        }
        headers.put(HttpHeader.CONTENT_LENGTH, length);
        response.setStatus(partial ? 206 : 200);
        if (HttpMethod.HEAD.is(request.getMethod()) || length == 0) {
            endWithoutBody(response, callback);
            return;
        }
        Optional<java.nio.file.Path> file = blob.localFile();
        if (file.isPresent() && length >= MAPPED_MINIMUM) {
            MappedFileWriter.send(file.get(), offset, length, response, callback);
            return;
        }
        ByteBufferPool.Sized buffers = new ByteBufferPool.Sized(request.getComponents().getByteBufferPool(), true,
                BLOB_BUFFER_SIZE);
        Content.Source source = file.isPresent()
                ? Content.Source.from(buffers, file.get(), offset, length)
                : Content.Source.from(buffers, blob.open(offset, length));
        Content.copy(source, response, callback);
    }

    /** A single {@code bytes=} range as [first, last], null for the whole blob; 416 when invalid or unsatisfiable. */
    private static long[] parseRange(String header, long size) {
        Matcher m = RANGE.matcher(header.strip());
        if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
            return null; // several ranges or another unit: answer with the whole blob, as RFC 9110 allows
        }
        long first;
        long last;
        try {
            if (m.group(1).isEmpty()) {
                long suffix = Long.parseLong(m.group(2));
                if (suffix == 0) {
                    throw unsatisfiable(size);
                }
                first = Math.max(0, size - suffix);
                last = size - 1;
            } else {
                first = Long.parseLong(m.group(1));
                last = m.group(2).isEmpty() ? size - 1 : Math.min(Long.parseLong(m.group(2)), size - 1);
                if (m.group(2).length() > 0 && Long.parseLong(m.group(2)) < first) {
                    // RFC 9110 14.1.1 calls a range ending before it starts invalid, and 14.2 lets a server reject an
                    // invalid range rather than ignore it. Rejected: a client resuming a download with it would take
                    // the whole blob for the part it asked for.
                    throw unsatisfiable(size);
                }
            }
        } catch (NumberFormatException e) {
            throw unsatisfiable(size);
        }
        if (first >= size || size == 0) {
            throw unsatisfiable(size);
        }
        return new long[] {first, last};
    }

    private static HttpError unsatisfiable(long size) {
        return new RangeError(size);
    }

    /** 416 with the blob's size in {@code Content-Range}. */
    private static final class RangeError extends HttpError {
        private final long size;

        RangeError(long size) {
            super(416, ErrorCode.SIZE_INVALID, "requested range not satisfiable");
            this.size = size;
        }
    }

    // ---- uploads

    /**
     * Starts an upload, or mounts a blob from another repository. With authentication on, a mount needs pull
     * access to the named source; without a source, or without that access, a regular session starts, as the
     * spec lets a registry do when it cannot mount.
     */
    private void startUpload(Route route, Gate.Caller caller, Request request, Response response, Callback callback)
            throws IOException {
        Fields query = queryParameters(request);
        String mount = query.getValue("mount");
        String digest = query.getValue("digest");
        String from = query.getValue("from");
        boolean mayMount = !gate.enabled() || (from != null && gate.pullable(caller).test(from));
        if (mount != null && mayMount) {
            MountResult result = uploads.mount(route.name(), Registry.parseDigest(mount), from);
            switch (result) {
                case MountResult.Mounted mounted -> {
                    blobCreated(route.name(), mounted.digest(), response, callback);
                    return;
                }
                case MountResult.Started started -> {
                    uploadAccepted(started.upload(), 202, response, callback);
                    return;
                }
            }
        }
        if (digest != null) {
            Digest stored;
            try (InputStream body = RequestBody.of(request)) {
                stored = uploads.putMonolithic(route.name(), digest, body);
            }
            blobCreated(route.name(), stored, response, callback); // the body is done with before the answer
            return;
        }
        uploadAccepted(uploads.start(route.name()), 202, response, callback);
    }

    private void upload(Route route, Request request, Response response, Callback callback) throws IOException {
        String id = route.reference();
        switch (request.getMethod()) {
            case "GET" -> uploadAccepted(uploads.status(route.name(), id), 204, response, callback);
            case "PATCH" -> {
                long[] range = contentRange(request);
                BlobUpload upload;
                try (InputStream body = RequestBody.of(request)) {
                    upload = uploads.append(route.name(), id, range == null ? null : range[0],
                            range == null ? null : range[1], body);
                }
                uploadAccepted(upload, 202, response, callback);
            }
            case "PUT" -> {
                String digest = queryParameters(request).getValue("digest");
                if (digest == null) {
                    throw new RegistryException(ErrorCode.DIGEST_INVALID, "the digest query parameter is required");
                }
                long[] range = contentRange(request);
                boolean hasBody = hasBody(request);
                Digest stored;
                if (hasBody && range != null) {
                    try (InputStream body = RequestBody.of(request)) {
                        uploads.append(route.name(), id, range[0], range[1], body);
                    }
                    stored = uploads.finish(route.name(), id, digest, null);
                } else if (hasBody) {
                    try (InputStream body = RequestBody.of(request)) {
                        stored = uploads.finish(route.name(), id, digest, body);
                    }
                } else {
                    stored = uploads.finish(route.name(), id, digest, null);
                }
                blobCreated(route.name(), stored, response, callback);
            }
            case "DELETE" -> {
                uploads.cancel(route.name(), id);
                sendEmpty(response, callback, 204);
            }
            default -> throw notAllowed("GET, PATCH, PUT, DELETE");
        }
    }

    /** {@code Content-Range: <start>-<end>} of a chunk, or null when the request has none. */
    private static long[] contentRange(Request request) {
        String header = request.getHeaders().get(HttpHeader.CONTENT_RANGE);
        if (header == null) {
            return null;
        }
        Matcher m = CONTENT_RANGE.matcher(header.strip());
        if (!m.matches()) {
            throw new HttpError(400, ErrorCode.BLOB_UPLOAD_INVALID, "Content-Range must be <start>-<end>");
        }
        long start;
        long end;
        try {
            start = Long.parseLong(m.group(1));
            end = Long.parseLong(m.group(2));
        } catch (NumberFormatException e) {
            throw new HttpError(400, ErrorCode.BLOB_UPLOAD_INVALID, "Content-Range out of bounds");
        }
        if (end < start) {
            throw new HttpError(416, ErrorCode.BLOB_UPLOAD_INVALID, "Content-Range ends before it starts");
        }
        long length = request.getLength();
        if (length >= 0 && length != end - start + 1) {
            throw new HttpError(400, ErrorCode.BLOB_UPLOAD_INVALID, "Content-Range does not match Content-Length");
        }
        return new long[] {start, end};
    }

    private static void uploadAccepted(BlobUpload upload, int status, Response response, Callback callback) {
        var headers = response.getHeaders();
        headers.put(HttpHeader.LOCATION, "/v2/" + upload.repository() + "/blobs/uploads/" + upload.id());
        headers.put("Docker-Upload-UUID", upload.id());
        headers.put(HttpHeader.RANGE, "0-" + Math.max(0, upload.size() - 1));
        sendEmpty(response, callback, status);
    }

    private static void blobCreated(String name, Digest digest, Response response, Callback callback) {
        var headers = response.getHeaders();
        headers.put(HttpHeader.LOCATION, "/v2/" + name + "/blobs/" + digest);
        headers.put("Docker-Content-Digest", digest.toString());
        sendEmpty(response, callback, 201);
    }

    // ---- listings

    private void tags(Route route, Request request, Response response, Callback callback) {
        Fields query = queryParameters(request);
        int n = pageSize(query, MAX_TAGS_PAGE, MAX_TAGS_PAGE);
        sendTags(route, n, registry.tags(route.name(), query.getValue("last"), n), response, callback);
    }

    /** Answers a tags listing from memory when it is there; false leaves the request to the blocking path. */
    private boolean tagsFromCache(Route route, Request request, Response response, Callback callback) {
        Fields query;
        int n;
        try {
            query = queryParameters(request);
            n = pageSize(query, MAX_TAGS_PAGE, MAX_TAGS_PAGE);
        } catch (RuntimeException e) {
            return false; // bad input: the blocking path answers with the right error
        }
        Optional<RenderedPage> page = registry.cachedTags(route.name(), query.getValue("last"), n);
        page.ifPresent(found -> sendTags(route, n, found, response, callback));
        return page.isPresent();
    }

    private static void sendTags(Route route, int n, RenderedPage page, Response response, Callback callback) {
        if (page.hasMore()) {
            link(response, "/v2/" + route.name() + "/tags/list", n, page.last(), null);
        }
        sendJson(response, callback, 200, "application/json", page.json());
    }

    /** A page of the repositories the caller may pull, in name order. */
    private void catalog(Request request, Predicate<String> visible, Response response, Callback callback) {
        Fields query = queryParameters(request);
        int n = pageSize(query, DEFAULT_CATALOG_PAGE, 10_000);
        List<String> names = new ArrayList<>();
        String cursor = query.getValue("last");
        boolean more = true;
        while (more && names.size() <= n) {
            Page<String> page = registry.catalog(cursor, Math.max(n, 100));
            for (String name : page.items()) {
                if (visible.test(name)) {
                    names.add(name);
                }
            }
            more = page.hasMore();
            cursor = page.last();
        }
        boolean hasMore = names.size() > n;
        List<String> items = hasMore ? names.subList(0, n) : names;
        ObjectNode body = JSON.createObjectNode();
        items.forEach(body.putArray("repositories")::add);
        if (hasMore && n > 0) {
            link(response, "/v2/_catalog", n, items.getLast(), null);
        }
        sendJson(response, callback, 200, "application/json", JSON.writeValueAsBytes(body));
    }

    private void referrers(Route route, Request request, Response response, Callback callback) {
        Digest subject = Registry.parseDigest(route.reference());
        Fields query = queryParameters(request);
        String artifactType = query.getValue("artifactType");
        int n = referrersPageSize(query);
        RenderedPage page = registry.referrers(route.name(), subject, artifactType, query.getValue("last"), n);
        sendReferrers(route, subject, artifactType, n, page, response, callback);
    }

    /** Answers a referrers listing from memory when it is there; false leaves the request to the blocking path. */
    private boolean referrersFromCache(Route route, Request request, Response response, Callback callback) {
        Digest subject;
        Fields query;
        int n;
        try {
            subject = Digest.parse(route.reference());
            query = queryParameters(request);
            n = referrersPageSize(query);
        } catch (RuntimeException e) {
            return false; // bad input: the blocking path answers with the right error
        }
        String artifactType = query.getValue("artifactType");
        Optional<RenderedPage> page = registry.cachedReferrers(route.name(), subject, artifactType,
                query.getValue("last"), n);
        page.ifPresent(found -> sendReferrers(route, subject, artifactType, n, found, response, callback));
        return page.isPresent();
    }

    private int referrersPageSize(Fields query) {
        int pageSize = registry.options().referrersPageSize();
        return pageSize(query, pageSize, pageSize);
    }

    private static void sendReferrers(Route route, Digest subject, String artifactType, int n, RenderedPage page,
                                      Response response, Callback callback) {
        if (artifactType != null) {
            response.getHeaders().put("OCI-Filters-Applied", "artifactType");
        }
        if (page.hasMore()) {
            link(response, "/v2/" + route.name() + "/referrers/" + subject, n, page.last(), artifactType);
        }
        sendJson(response, callback, 200, MediaTypes.OCI_INDEX, page.json());
    }

    private static int pageSize(Fields query, int absent, int max) {
        String n = query.getValue("n");
        if (n == null) {
            return absent;
        }
        try {
            int value = Integer.parseInt(n);
            if (value < 0) {
                throw new NumberFormatException();
            }
            return Math.min(value, max);
        } catch (NumberFormatException e) {
            // Distribution answers PAGINATION_NUMBER_INVALID, which the spec does not list: UNSUPPORTED is its code for
            // "an invalid set of parameters".
            throw new HttpError(400, ErrorCode.UNSUPPORTED, "invalid page size: the query parameter 'n' must be a "
                    + "non-negative integer", "n=" + n);
        }
    }

    private static void link(Response response, String path, int n, String last, String artifactType) {
        StringBuilder url = new StringBuilder(path).append("?n=").append(n).append("&last=").append(encode(last));
        if (artifactType != null) {
            url.append("&artifactType=").append(encode(artifactType));
        }
        response.getHeaders().put(HttpHeader.LINK, "<" + url + ">; rel=\"next\"");
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    // ---- plumbing

    private static Fields queryParameters(Request request) {
        return QueryParameters.of(request);
    }

    private static void allow(String method, String... allowed) {
        for (String candidate : allowed) {
            if (candidate.equals(method)) {
                return;
            }
        }
        throw notAllowed(String.join(", ", allowed));
    }

    private static HttpError notAllowed(String allowed) {
        return new HttpError(405, ErrorCode.UNSUPPORTED, "method not allowed; use " + allowed);
    }

    static void sendJson(Response response, Callback callback, int status, String contentType, byte[] body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    static void sendEmpty(Response response, Callback callback, int status) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0);
        endWithoutBody(response, callback);
    }

    /**
     * Ends a response without a body (or a HEAD's) with an empty last write that completes {@code callback}, never by
     * completing the callback with nothing written. A callback completed bare makes Jetty (12.1) send the response
     * itself; when that send finishes while {@code handle} is still returning on Jetty's thread, both threads complete
     * the exchange, and the connection's next request goes unanswered. After a last write of the handler's own,
     * completing the callback is safe from any thread. Every response of this handler ends with such a write.
     */
    static void endWithoutBody(Response response, Callback callback) {
        response.write(true, BufferUtil.EMPTY_BUFFER, callback);
    }

    private static void sendError(Response response, Callback callback, int status, ErrorCode code, String detail) {
        sendError(response, callback, status, code, code == null ? null : code.message(), detail);
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
        sendJson(response, callback, status, "application/json", body);
    }
}
