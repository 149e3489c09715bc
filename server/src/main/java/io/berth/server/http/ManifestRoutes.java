package io.berth.server.http;

import io.berth.registry.ErrorCode;
import io.berth.registry.PushedManifest;
import io.berth.registry.Registry;
import io.berth.registry.RegistryException;
import io.berth.registry.metadata.StoredManifest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EofException;

/** {@code /v2/<name>/manifests/<reference>}: pull, push and delete manifests. */
final class ManifestRoutes {
    /** Oversized manifests are read to their end up to this size before the 413. */
    private static final long MAX_DISCARDED_BODY = 64L * 1024 * 1024;

    private final Registry registry;
    private final int maxManifestBytes;
    private final ManifestBudget manifestBudget;
    private final Gate gate;

    ManifestRoutes(Registry registry, int maxManifestBytes, Gate gate) {
        this.registry = registry;
        this.maxManifestBytes = maxManifestBytes;
        this.manifestBudget = new ManifestBudget(maxManifestBytes);
        this.gate = gate;
    }

    void get(Exchange exchange) {
        send(registry.manifest(exchange.name(), exchange.parameter("reference")), exchange);
    }

    /** Answers a pull of a cached manifest at once; false leaves it to {@link #get}. */
    boolean fromCache(Exchange exchange) {
        Optional<StoredManifest> cached = registry.cachedManifest(exchange.name(), exchange.parameter("reference"));
        cached.ifPresent(manifest -> send(manifest, exchange));
        return cached.isPresent();
    }

    /**
     * A GET is a pull and its time is noted for lifecycle policies; a HEAD is not, as clients such as docker send
     * HEAD to check whether a tag moved, often, without fetching anything.
     */
    private void send(StoredManifest manifest, Exchange exchange) {
        var response = exchange.response();
        var headers = response.getHeaders();
        headers.put(HttpHeader.CONTENT_TYPE, manifest.mediaType());
        headers.put("Docker-Content-Digest", manifest.digest().toString());
        headers.put(HttpHeader.ETAG, "\"" + manifest.digest() + "\"");
        headers.put(HttpHeader.CONTENT_LENGTH, manifest.size());
        response.setStatus(200);
        if (HttpMethod.HEAD.is(exchange.method())) {
            Responses.endWithoutBody(response, exchange.callback());
        } else {
            registry.pulled(exchange.name(), manifest.digest());
            response.write(true, ByteBuffer.wrap(manifest.payload()), exchange.callback());
        }
    }

    /**
     * Stores a pushed manifest, then answers: the store has told the audit log and the notifier of its events by
     * then, so a client that has its 201 finds the push audited.
     */
    void put(Exchange exchange) throws IOException, InterruptedException {
        try {
            store(exchange);
        } catch (RegistryException e) {
            // The registry denies a push it was allowed to attempt: an immutable tag would move.
            if (e.code() == ErrorCode.DENIED) {
                Gate.Caller caller = exchange.caller();
                gate.audit().refused("push", caller.subject(), caller.source(), exchange.name(),
                        exchange.parameter("reference"), e.detail());
            }
            throw e;
        }
    }

    private void store(Exchange exchange) throws IOException, InterruptedException {
        var request = exchange.request();
        long declared = request.getLength();
        if (declared > maxManifestBytes) {
            Responses.drain(request, MAX_DISCARDED_BODY);
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
            List<String> extraTags = exchange.query().getValues("tag");
            pushed = registry.putManifest(exchange.name(), exchange.parameter("reference"),
                    request.getHeaders().get(HttpHeader.CONTENT_TYPE), payload,
                    extraTags == null ? List.of() : extraTags);
        }
        var headers = exchange.response().getHeaders();
        headers.put(HttpHeader.LOCATION, "/v2/" + exchange.name() + "/manifests/" + pushed.digest());
        headers.put("Docker-Content-Digest", pushed.digest().toString());
        if (pushed.subject() != null) {
            headers.put("OCI-Subject", pushed.subject().toString());
        }
        for (String tag : pushed.tags()) {
            headers.add("OCI-Tag", tag);
        }
        Responses.sendEmpty(exchange.response(), exchange.callback(), 201);
    }

    void delete(Exchange exchange) {
        registry.deleteManifest(exchange.name(), exchange.parameter("reference"));
        Responses.sendEmpty(exchange.response(), exchange.callback(), 202);
    }
}
