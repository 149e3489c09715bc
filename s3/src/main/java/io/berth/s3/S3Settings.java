package io.berth.s3;

import java.net.URI;
import java.time.Duration;
import software.amazon.awssdk.services.s3.model.StorageClass;

/**
 * Where an {@link S3BlobStore} keeps its objects, and how it reaches them.
 *
 * @param bucket       the bucket, which must exist
 * @param prefix       prepended to every key ({@code berth/} puts blobs at {@code berth/blobs/...}); empty for none
 * @param region       the bucket's region; null takes the SDK's default (environment, profile), or {@code us-east-1}
 *                     when an endpoint is given, as S3-compatible stores mostly ignore it
 * @param endpoint     an S3-compatible store's URL instead of AWS's; null for AWS
 * @param pathStyle    addresses the bucket in the path ({@code http://host/bucket/key}) instead of the host name, as
 *                     most S3-compatible stores expect
 * @param accessKey    with {@code secretKey}, static credentials; both null for the SDK's default provider chain
 *                     (environment, profile, container or instance role). One without the other is refused when a
 *                     store is opened, not here: the configuration file may name one and the environment the other.
 * @param storageClass S3 storage class of the blobs (uploads in progress stay in the default class); null for the
 *                     bucket's default
 * @param redirect     how long the presigned URLs that blob downloads are redirected to stay valid; null to send
 *                     the bytes through Berth instead
 */
public record S3Settings(String bucket, String prefix, String region, URI endpoint, boolean pathStyle,
                         String accessKey, String secretKey, String storageClass, Duration redirect) {

    /** Checks the settings, so that a mistake ends startup with a message instead of failing the first push. */
    public S3Settings {
        if (bucket == null || bucket.isBlank()) {
            throw new IllegalArgumentException("storage.bucket is required for storage type s3");
        }
        prefix = prefix == null ? "" : prefix.strip();
        if (prefix.startsWith("/")) {
            throw new IllegalArgumentException("storage.prefix must not start with '/': " + prefix);
        }
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            prefix = prefix + "/";
        }
        if (endpoint != null && (!endpoint.isAbsolute() || endpoint.getHost() == null
                || !(endpoint.getScheme().equals("http") || endpoint.getScheme().equals("https")))) {
            throw new IllegalArgumentException("storage.endpoint must be an http or https URL, got " + endpoint);
        }
        if (redirect != null && (redirect.isNegative() || redirect.isZero() || redirect.compareTo(MAX_REDIRECT) > 0)) {
            throw new IllegalArgumentException("storage.redirectExpiry must be more than 0 and at most 7 days "
                    + "(the longest a presigned URL is valid), got " + redirect);
        }
        if (storageClass != null && StorageClass.fromValue(storageClass) == StorageClass.UNKNOWN_TO_SDK_VERSION) {
            throw new IllegalArgumentException("storage.storageClass '" + storageClass + "' is not an S3 storage class");
        }
    }

    /** The longest a presigned URL is valid (SigV4). */
    private static final Duration MAX_REDIRECT = Duration.ofDays(7);

    /** The same settings with these static credentials. */
    public S3Settings withCredentials(String accessKey, String secretKey) {
        return new S3Settings(bucket, prefix, region, endpoint, pathStyle, accessKey, secretKey, storageClass,
                redirect);
    }

    /** The same settings with blob downloads redirected to presigned URLs valid for {@code expiry}; null for none. */
    public S3Settings withRedirect(Duration expiry) {
        return new S3Settings(bucket, prefix, region, endpoint, pathStyle, accessKey, secretKey, storageClass,
                expiry);
    }

    /** For logs: where the blobs are, without credentials. */
    public String describe() {
        return "s3://" + bucket + "/" + prefix + (endpoint != null ? " at " + endpoint : "");
    }

    @Override
    public String toString() {
        return "S3Settings[" + describe() + "]"; // never the secret
    }
}
