/// Plain byte-string search, without Unicode rules: for ASCII markers in UTF-8 text.
package enum ByteSearch {
    /// The offset of the first occurrence of `needle` in `haystack`, or nil (an empty needle is
    /// found at 0).
    package static func firstIndex(of needle: UnsafeRawBufferPointer, in haystack: UnsafeRawBufferPointer) -> Int? {
        guard let first = needle.first else { return 0 }
        guard haystack.count >= needle.count else { return nil }
        var i = 0
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first {
                var j = 1
                while j < needle.count && haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}
