//! Pictures of paper for the document tests and benchmarks: a PDF page rendered to PNG (what a
//! phone photo becomes), and a scanned PDF (a page that is only a JPEG picture, no text layer).
//! Both through poppler's `pdftoppm`.

/// Renders a PDF page to PNG with poppler's `pdftoppm` (what a phone photo of paper becomes).
pub fn png_of(pdf: &[u8], dpi: u32) -> Vec<u8> {
    let dir = std::env::temp_dir().join(format!("austa-render-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("in.pdf"), pdf).unwrap();
    let status = std::process::Command::new("pdftoppm")
        .args(["-r", &dpi.to_string(), "-png", "-singlefile"])
        .arg(dir.join("in.pdf"))
        .arg(dir.join("out"))
        .status()
        .expect("pdftoppm (poppler-utils) is installed");
    assert!(status.success());
    let png = std::fs::read(dir.join("out.png")).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    png
}

/// A PDF whose only page is a picture (a scan, no text layer): the page rendered to JPEG by
/// `pdftoppm`, embedded as a DCT image.
pub fn scanned_pdf(page: &[u8], dpi: u32) -> Vec<u8> {
    let dir = std::env::temp_dir().join(format!("austa-scan-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("in.pdf"), page).unwrap();
    let status = std::process::Command::new("pdftoppm")
        .args(["-r", &dpi.to_string(), "-jpeg", "-singlefile"])
        .arg(dir.join("in.pdf"))
        .arg(dir.join("out"))
        .status()
        .unwrap();
    assert!(status.success());
    let jpeg = std::fs::read(dir.join("out.jpg")).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    // Width and height from the JPEG's start-of-frame marker.
    let sof = jpeg
        .windows(2)
        .position(|m| m == [0xff, 0xc0])
        .expect("a baseline JPEG");
    let height = u16::from_be_bytes([jpeg[sof + 5], jpeg[sof + 6]]);
    let width = u16::from_be_bytes([jpeg[sof + 7], jpeg[sof + 8]]);
    let colours = if jpeg[sof + 9] == 1 {
        "DeviceGray"
    } else {
        "DeviceRGB"
    };
    let content = b"q 595 0 0 842 0 0 cm /Im1 Do Q\n".to_vec();
    let mut image = format!(
        "<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /{colours} /BitsPerComponent 8 /Filter /DCTDecode /Length {} >>\nstream\n",
        jpeg.len()
    )
    .into_bytes();
    image.extend(&jpeg);
    image.extend_from_slice(b"\nendstream");
    let mut contents = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
    contents.extend(&content);
    contents.extend_from_slice(b"endstream");
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>".to_vec(),
        contents,
        image,
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
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
