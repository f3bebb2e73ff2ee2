extension ImageDecoder {
    /// An animated PNG's frames as Pillow (13) shows them after `seek(n)` and `convert("RGB")`.
    ///
    /// Frame 0 is the IDAT image, the pixels ``decode(_:)`` gives. Each later frame is decoded by
    /// libpng from its `fdAT` data (put into a PNG of the frame's size) and drawn over the canvas:
    /// - first, the previous frame's disposal is done over its rectangle: 1 clears it to zero
    ///   samples (black, or a palette image's colour 0), 2 puts back what was there before that
    ///   frame was drawn; the first frame's 2 is taken as 1, and a default image that is not part
    ///   of the animation has none. As in Pillow, 2 after a frame drawn with blend 1 changes
    ///   nothing (Pillow mixes such a frame into the canvas it saved to put back);
    /// - blend 0 puts the frame's samples in its rectangle; blend 1 mixes them with the canvas by
    ///   the frame's alpha, each sample `(canvas * (255 - a) + frame * a) / 255` rounded as Pillow's
    ///   paste with a mask rounds it. The alpha is the alpha channel (grey+alpha, RGBA), a palette
    ///   index's tRNS entry, or 0 for an RGB image's tRNS colour and 255 otherwise; a grey image's
    ///   tRNS grey is opaque, as in Pillow. A palette image's canvas holds indices, mixed as
    ///   Pillow mixes them, and becomes colours only when a frame is given.
    /// A frame counts against ``ImageLimits/maxAnimationPixels`` as the canvas. A frame whose
    /// rectangle leaves the image, or whose data do not decode, ends the reading there.
    func apngFrames(
        _ data: UnsafeBufferPointer<UInt8>, layout: APNGLayout, maxFrames: Int, _ body: (Int, RGBImage) -> Bool
    ) throws(ImageError) -> FrameReading {
        let colourType = data[layout.header.lowerBound + 9]
        let channels: Int
        switch colourType {
        case 0, 3: channels = 1
        case 4: channels = 2
        case 2: channels = 3
        case 6: channels = 4
        default: throw ImageError(.corrupt, "libpng: invalid colour type \(colourType)", format: .png, offset: 25)
        }
        // Colour samples kept on the canvas: grey or a palette index, else RGB.
        let colours = channels >= 3 ? 3 : 1
        let (w, h, firstSamples) = try pngPixels(data, channels: channels)
        var canvas = channels == colours ? firstSamples : try buffer(w * h * colours) { out in
            for p in 0..<(w * h) {
                for c in 0..<colours { out[colours * p + c] = firstSamples[channels * p + c] }
            }
        }

        var palette = [UInt8](repeating: 0, count: 256 * 3)
        var paletteAlpha = [UInt8](repeating: 255, count: 256)
        var key: (Int, Int, Int)?
        if colourType == 3, let range = layout.palette {
            for (i, byte) in data[range].prefix(256 * 3).enumerated() { palette[i] = byte }
        }
        if let range = layout.transparency {
            let t = data[range]
            if colourType == 3 {
                for (i, byte) in t.prefix(256).enumerated() { paletteAlpha[i] = byte }
            } else if colourType == 2 && t.count >= 6 {
                // Pillow compares each sample with the low byte of the 16-bit tRNS value.
                let s = t.startIndex
                key = (Int(t[s + 1]), Int(t[s + 3]), Int(t[s + 5]))
            }
        }
        func frameImage() throws(ImageError) -> RGBImage {
            if colours == 3 { return RGBImage(width: w, height: h, pixels: canvas) }
            let pixels = try buffer(w * h * 3) { out in
                for p in 0..<(w * h) {
                    let k = Int(canvas[p])
                    if colourType == 3 {
                        out[3 * p] = palette[3 * k]
                        out[3 * p + 1] = palette[3 * k + 1]
                        out[3 * p + 2] = palette[3 * k + 2]
                    } else {
                        out[3 * p] = canvas[p]
                        out[3 * p + 1] = canvas[p]
                        out[3 * p + 2] = canvas[p]
                    }
                }
            }
            return RGBImage(width: w, height: h, pixels: pixels)
        }
        guard body(0, try frameImage()) else { return FrameReading(frames: 1) }
        let total = layout.frameCount
        guard total > 1 else { return FrameReading(frames: 1) }

        typealias Rect = (x: Int, y: Int, width: Int, height: Int)
        let whole: Rect = (0, 0, w, h)
        if let c = layout.firstControl, (c.x, c.y, c.width, c.height) != whole {
            return FrameReading(
                frames: 1,
                stoppedBefore: "frame 1: the first frame control's \(c.width)×\(c.height) rectangle at (\(c.x), \(c.y)) is not the \(w)×\(h) image")
        }
        // The previous frame's rectangle and disposal, and for disposal 2 what was under it.
        var previous: (rect: Rect, disposal: UInt8, saved: [UInt8]) = (whole, layout.firstControl?.disposal == 2 ? 1 : layout.firstControl?.disposal ?? 0, [])
        for (i, frame) in layout.later.enumerated() {
            let index = i + 1
            guard index < total else { return FrameReading(frames: index) }
            if let stop = overLimits(frame: index, spent: index * w * h, cost: w * h, maxFrames: maxFrames) {
                return FrameReading(frames: index, stoppedBefore: stop)
            }
            let c = frame.control
            guard c.width > 0, c.height > 0, c.x <= w - c.width, c.y <= h - c.height else {
                return FrameReading(
                    frames: index,
                    stoppedBefore: "frame \(index): its \(c.width)×\(c.height) rectangle at (\(c.x), \(c.y)) does not lie in the \(w)×\(h) image")
            }
            let samples: [UInt8]
            do throws(ImageError) {
                samples = try apngFrameSamples(data, layout: layout, frame: frame, channels: channels)
            } catch {
                return FrameReading(frames: index, stoppedBefore: "frame \(index): \(error)")
            }

            let r = previous.rect
            let span = colours * r.width
            for y in r.y..<(r.y + r.height) {
                let row = colours * (y * w + r.x)
                if previous.disposal == 1 {
                    for o in row..<(row + span) { canvas[o] = 0 }
                } else if previous.disposal == 2 {
                    let from = (y - r.y) * span
                    canvas.replaceSubrange(row..<(row + span), with: previous.saved[from..<(from + span)])
                }
            }
            let rect: Rect = (c.x, c.y, c.width, c.height)
            let over = c.blend == 1
            // Pillow saves the canvas for disposal 2 before a frame is drawn, but a blend-1 frame is
            // mixed into that saved canvas itself, so putting it back changes nothing.
            let disposal: UInt8 = c.disposal == 1 || (c.disposal == 2 && !over) ? c.disposal : 0
            var saved: [UInt8] = []
            if disposal == 2 {
                saved.reserveCapacity(colours * c.width * c.height)
                for y in c.y..<(c.y + c.height) {
                    saved += canvas[(colours * (y * w + c.x))..<(colours * (y * w + c.x + c.width))]
                }
            }
            // Where a pixel's alpha comes from when the frame is mixed in (blend 1).
            enum Alpha { case opaque, rgba, greyAlpha, palette, key(Int, Int, Int) }
            let alpha: Alpha = switch (over, channels) {
            case (false, _): .opaque
            case (true, 4): .rgba
            case (true, 2): .greyAlpha
            case (true, 1) where colourType == 3: .palette
            case (true, 3): key.map { .key($0.0, $0.1, $0.2) } ?? .opaque
            default: .opaque
            }
            canvas.withUnsafeMutableBufferPointer { out in
                samples.withUnsafeBufferPointer { src in
                    paletteAlpha.withUnsafeBufferPointer { paletteAlpha in
                        for y in 0..<c.height {
                            let s0 = channels * y * c.width
                            let o0 = colours * ((c.y + y) * w + c.x)
                            switch alpha {
                            case .opaque where channels == colours:
                                (out.baseAddress! + o0).update(from: src.baseAddress! + s0, count: colours * c.width)
                            case .opaque:
                                for x in 0..<c.width {
                                    for k in 0..<colours { out[o0 + colours * x + k] = src[s0 + channels * x + k] }
                                }
                            // The mixing loops step pointers through the row (no index
                            // arithmetic to check for overflow in them).
                            case .rgba:
                                var from = src.baseAddress! + s0
                                var to = out.baseAddress! + o0
                                for _ in 0..<c.width {
                                    let a = UInt32(from[3])
                                    to[0] = Self.mix(to[0], from[0], a)
                                    to[1] = Self.mix(to[1], from[1], a)
                                    to[2] = Self.mix(to[2], from[2], a)
                                    from += 4
                                    to += 3
                                }
                            case .greyAlpha:
                                var from = src.baseAddress! + s0
                                var to = out.baseAddress! + o0
                                for _ in 0..<c.width {
                                    to[0] = Self.mix(to[0], from[0], UInt32(from[1]))
                                    from += 2
                                    to += 1
                                }
                            case .palette:
                                var from = src.baseAddress! + s0
                                var to = out.baseAddress! + o0
                                for _ in 0..<c.width {
                                    to[0] = Self.mix(to[0], from[0], UInt32(paletteAlpha[Int(from[0])]))
                                    from += 1
                                    to += 1
                                }
                            case .key(let r, let g, let b):
                                for x in 0..<c.width {
                                    let s = s0 + 3 * x
                                    if Int(src[s]) == r && Int(src[s + 1]) == g && Int(src[s + 2]) == b { continue }
                                    out[o0 + 3 * x] = src[s]
                                    out[o0 + 3 * x + 1] = src[s + 1]
                                    out[o0 + 3 * x + 2] = src[s + 2]
                                }
                            }
                        }
                    }
                }
            }
            previous = (rect, disposal, saved)
            guard body(index, try frameImage()) else { return FrameReading(frames: index + 1) }
        }
        let read = layout.later.count + 1
        if read >= total { return FrameReading(frames: total) }
        if let stop = layout.stop { return FrameReading(frames: read, stoppedBefore: "frame \(read): \(stop)") }
        return FrameReading(
            frames: read,
            stoppedBefore: "frame \(read): the acTL chunk declares \(layout.declaredFrames) frames; the file holds \(read - (layout.firstControl == nil ? 1 : 0))")
    }

    /// Pillow's paste with a mask: `under * (255 - a) + over * a` divided by 255, rounded (exact
    /// for a of 0 and 255, so no case is needed for them). `a` is at most 255, so nothing can
    /// overflow: the wrapping operators leave out the checks, which would stop the loop over a row
    /// from being vectorised.
    @inline(__always)
    private static func mix(_ under: UInt8, _ over: UInt8, _ a: UInt32) -> UInt8 {
        let t = UInt32(under) &* (255 &- a) &+ UInt32(over) &* a &+ 128
        return UInt8(truncatingIfNeeded: ((t &>> 8) &+ t) &>> 8)
    }

    /// A later frame's samples: its fdAT data put into a PNG of the frame's size (the file's IHDR
    /// with the frame's width and height, its PLTE, one IDAT for each fdAT), decoded by libpng.
    /// An error names the frame's first fdAT chunk.
    private func apngFrameSamples(
        _ data: UnsafeBufferPointer<UInt8>, layout: APNGLayout, frame: APNGLayout.Frame, channels: Int
    ) throws(ImageError) -> [UInt8] {
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        func append32(_ v: Int) {
            for shift in stride(from: 24, through: 0, by: -8) { png.append(UInt8(truncatingIfNeeded: v >> shift)) }
        }
        // No CRC: libpng is told not to check them.
        func chunk(_ type: StaticString, _ body: some Collection<UInt8>) {
            append32(body.count)
            png.append(contentsOf: UnsafeBufferPointer(start: type.utf8Start, count: 4))
            png.append(contentsOf: body)
            append32(0)
        }
        var header = Array(data[layout.header])
        header.replaceSubrange(0..<8, with: [frame.control.width, frame.control.height].flatMap { v in
            stride(from: 24, through: 0, by: -8).map { UInt8(truncatingIfNeeded: v >> $0) }
        })
        chunk("IHDR", header)
        if let palette = layout.palette { chunk("PLTE", data[palette]) }
        for part in frame.data { chunk("IDAT", data[part]) }
        chunk("IEND", EmptyCollection())
        let firstChunk = (frame.data.first?.lowerBound ?? 12) - 12
        do throws(ImageError) {
            let decoded = try png.withUnsafeBufferPointer { (bytes) throws(ImageError) in
                try pngPixels(bytes, channels: channels, checkCRC: false)
            }
            return decoded.pixels
        } catch {
            throw ImageError(error.code, error.message + " in the frame's fdAT data", format: .png, offset: firstChunk)
        }
    }
}
