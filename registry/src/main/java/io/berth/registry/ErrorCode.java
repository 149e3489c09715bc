package io.berth.registry;

/**
 * The distribution spec's error codes, as the registry raises them: only the spec's own, so that every client
 * understands them (Docker's legacy {@code TAG_INVALID} and {@code PAGINATION_NUMBER_INVALID} are not among them).
 */
public enum ErrorCode {
    BLOB_UNKNOWN("blob unknown to registry"),
    BLOB_UPLOAD_INVALID("blob upload invalid"),
    /** A chunk that does not continue the upload where it stands: the spec wants 416 for it. */
    BLOB_UPLOAD_OUT_OF_ORDER("blob upload invalid"),
    BLOB_UPLOAD_UNKNOWN("blob upload unknown to registry"),
    DIGEST_INVALID("provided digest did not match uploaded content"),
    MANIFEST_BLOB_UNKNOWN("manifest references a manifest or blob unknown to registry"),
    MANIFEST_INVALID("manifest invalid"),
    MANIFEST_UNKNOWN("manifest unknown to registry"),
    NAME_INVALID("invalid repository name"),
    NAME_UNKNOWN("repository name not known to registry"),
    SIZE_INVALID("provided length did not match content length"),
    UNSUPPORTED("the operation is unsupported"),
    UNAUTHORIZED("authentication required"),
    DENIED("requested access to the resource is denied"),
    TOOMANYREQUESTS("too many requests"),
    /** Not in the OCI list: Berth's admin API refuses a lifecycle policy that does not validate with it. */
    POLICY_INVALID("lifecycle policy invalid");

    private final String message;

    ErrorCode(String message) {
        this.message = message;
    }

    /** The code as it appears in the JSON error body. */
    public String wireCode() {
        return this == BLOB_UPLOAD_OUT_OF_ORDER ? BLOB_UPLOAD_INVALID.name() : name();
    }

    public String message() {
        return message;
    }
}
