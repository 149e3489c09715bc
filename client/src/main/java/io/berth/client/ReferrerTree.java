package io.berth.client;

import io.berth.oci.Descriptor;
import java.util.ArrayList;
import java.util.List;

/**
 * A manifest and the artifacts that refer to it, each with its own referrers in turn.
 *
 * @param descriptor the manifest: the subject at the root, a referrer below it (with its artifact type and
 *                   annotations as the registry listed them)
 */
public record ReferrerTree(Descriptor descriptor, List<ReferrerTree> referrers) {
    public ReferrerTree {
        referrers = List.copyOf(referrers);
    }

    /** Every referrer below this node, depth first. */
    public List<Descriptor> flatten() {
        List<Descriptor> all = new ArrayList<>();
        for (ReferrerTree child : referrers) {
            all.add(child.descriptor());
            all.addAll(child.flatten());
        }
        return all;
    }
}
