//! A one-page PDF with lines of text (Helvetica, WinAnsi so Portuguese accents survive): the demo's
//! medical order, and the documents the tests render and read back through OCR.

/// `lines` top to bottom, at `size` points, on an A4 page.
pub fn text_pdf(lines: &[&str], size: u32) -> Vec<u8> {
    let mut content = format!("BT /F1 {size} Tf {} TL 56 780 Td\n", size + size / 2).into_bytes();
    for line in lines {
        content.push(b'(');
        content.extend(win_ansi(line));
        content.extend_from_slice(b") Tj T*\n");
    }
    content.extend_from_slice(b"ET\n");
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
            .to_vec(),
    ];
    let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
    stream.extend(&content);
    stream.extend_from_slice(b"endstream");
    objects.push(stream);
    objects
        .push(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec());

    let mut pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend(format!("{} 0 obj\n", i + 1).into_bytes());
        pdf.extend(body);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).into_bytes());
    for offset in offsets {
        pdf.extend(format!("{offset:010} 00000 n \n").into_bytes());
    }
    pdf.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .into_bytes(),
    );
    pdf
}

/// Latin-1 bytes (WinAnsi agrees with it on every Portuguese letter), with the string delimiters
/// escaped; characters outside it become `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '(' | ')' | '\\' => out.extend([b'\\', c as u8]),
            c if (c as u32) < 0x20 => out.push(b' '),
            c if (c as u32) < 0x7f || (0xa0..=0xff).contains(&(c as u32)) => out.push(c as u32 as u8),
            _ => out.push(b'?'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xref_points_at_each_object() {
        let pdf = text_pdf(&["Receita (uso contínuo)", "Losartana 50 mg"], 14);
        let text = String::from_utf8_lossy(&pdf);
        let start: usize = text
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(pdf[start..].starts_with(b"xref"));
        // Lossy text shifts offsets after the binary comment: read the (ASCII) table from bytes.
        let entries: Vec<usize> = String::from_utf8(pdf[start..].to_vec())
            .unwrap()
            .lines()
            .skip(3)
            .take(5)
            .map(|l| l[..10].parse().unwrap())
            .collect();
        for (i, offset) in entries.iter().enumerate() {
            assert!(
                pdf[*offset..].starts_with(format!("{} 0 obj", i + 1).as_bytes()),
                "object {}",
                i + 1
            );
        }
        assert!(pdf.windows(6).any(|w| w == b"\\(uso "), "delimiters escaped");
        assert!(pdf.windows(5).any(|w| w == b"t\xednuo"), "accents as Latin-1");
    }
}
