package io.berth.registry;

import io.berth.oci.Descriptor;
import io.berth.oci.ImageIndexWriter;

/**
 * One page of a subject's referrers as the referrers API sends it: an OCI image index, rendered once when the page
 * is read from the database and then sent from memory as it is, by every request that asks for it. {@code json} is
 * shared: it must not be changed. {@code last} names where the next page starts, when there is one.
 */
public record ReferrersIndex(byte[] json, int size, String last) {
    static ReferrersIndex of(Page<Descriptor> page) {
        return new ReferrersIndex(ImageIndexWriter.write(page.items()), page.items().size(), page.last());
    }

    public boolean hasMore() {
        return last != null;
    }
}
