//! The media cache against a real nginx: pinning, Range resume, budget and LRU eviction, network
//! policy, and a media body whose hash is wrong.

mod sync_support;

use microlearn_core::{
    Error, Microlearn,
    content::{ContentError, http::NetOptions, media::NetworkPolicy},
};
use sync_support::{Published, card, media_asset, noise};

const MB: usize = 1024 * 1024;

struct Fixture {
    publ: Published,
    core: Microlearn,
    _data: tempfile::TempDir,
    video: Vec<u8>,
    audio: Vec<u8>,
}

/// Three cards: `card-00000` with a 1 MiB video, `card-00001` with a 512 KiB audio clip,
/// `card-00002` whose media hash is wrong, `card-00003` with a 512 KiB PDF.
async fn fixture() -> Fixture {
    let video = noise(MB, 1);
    let audio = noise(MB / 2, 2);
    let pdf = noise(MB / 2, 3);
    let mut cards: Vec<_> = (0..4).map(card).collect();
    cards[3]
        .media
        .push(media_asset("media/doc.pdf", &pdf, "application/pdf"));
    cards[0]
        .media
        .push(media_asset("media/intro.mp4", &video, "video/mp4"));
    cards[1]
        .media
        .push(media_asset("media/clip.mp3", &audio, "audio/mpeg"));
    let mut wrong = media_asset("media/clip.mp3", &audio, "audio/mpeg");
    wrong.sha256 = "0".repeat(64);
    cards[2].media.push(wrong);
    let publ = Published::new(&cards);
    std::fs::create_dir_all(publ.root().join("media")).expect("mkdir");
    std::fs::write(publ.root().join("media/intro.mp4"), &video).expect("video");
    std::fs::write(publ.root().join("media/clip.mp3"), &audio).expect("audio");
    std::fs::write(publ.root().join("media/doc.pdf"), &pdf).expect("pdf");
    let data = tempfile::tempdir().expect("tmp");
    let core = Microlearn::open(data.path()).expect("open");
    core.sync_catalog(&publ.index_url(), &NetOptions::default())
        .await
        .expect("sync");
    Fixture {
        publ,
        core,
        _data: data,
        video,
        audio,
    }
}

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn pin_downloads_verified_files_named_by_hash() {
    let f = fixture().await;
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = events.clone();
    let opts = NetOptions {
        progress: Some(std::sync::Arc::new(move |p| {
            sink.lock().expect("lock").push(p.clone())
        })),
        ..Default::default()
    };
    let r = f
        .core
        .pin_cards(&ids(&["card-00000", "card-00001"]), &opts)
        .await
        .expect("pin");
    assert_eq!((r.pinned_cards, r.downloaded), (2, 2));
    assert_eq!(r.bytes_downloaded, (MB + MB / 2) as u64);
    assert!(!events.lock().expect("lock").is_empty());
    let sha = &f.core.card("card-00000").expect("card").media[0].sha256;
    let path = f.core.media_path(sha).expect("path").expect("cached");
    assert_eq!(
        path.file_name().and_then(|n| n.to_str()),
        Some(sha.as_str())
    );
    assert_eq!(std::fs::read(&path).expect("read"), f.video);
    let st = f.core.media_status().expect("status");
    assert_eq!(
        (st.files, st.bytes, st.pinned_cards),
        (2, (MB + MB / 2) as u64, 2)
    );

    // Pinning again downloads nothing.
    let r = f
        .core
        .pin_cards(&ids(&["card-00000"]), &opts)
        .await
        .expect("pin again");
    assert_eq!(r.downloaded, 0);
}

#[tokio::test]
async fn interrupted_download_resumes_with_range() {
    let f = fixture().await;
    let asset = f.core.card("card-00000").expect("card").media[0].clone();
    let tmp = f.core.data_dir().join("media/tmp");
    std::fs::create_dir_all(&tmp).expect("mkdir");
    // What a download cut off after 600 KiB leaves behind.
    std::fs::write(
        tmp.join(format!("{}.part", asset.sha256)),
        &f.video[..600 * 1024],
    )
    .expect("partial");
    let path = f
        .core
        .fetch_media(&asset.sha256, &NetOptions::default())
        .await
        .expect("resume");
    assert_eq!(std::fs::read(&path).expect("read"), f.video);
    let log = f.publ.nginx.access_log();
    let line = log
        .lines()
        .rfind(|l| l.contains("intro.mp4"))
        .expect("request logged");
    assert!(
        line.contains("\" 206 "),
        "expected a 206 Partial Content: {line}"
    );
    assert!(!tmp.join(format!("{}.part", asset.sha256)).exists());
}

#[tokio::test]
async fn wrong_media_hash_is_rejected_and_nothing_is_cached() {
    let f = fixture().await;
    let err = f
        .core
        .pin_cards(&ids(&["card-00002"]), &NetOptions::default())
        .await
        .expect_err("hash");
    assert!(
        matches!(err, Error::Content(ContentError::HashMismatch { .. })),
        "{err:?}"
    );
    let st = f.core.media_status().expect("status");
    assert_eq!((st.files, st.pinned_cards), (0, 0));
    assert!(f.core.media_path(&"0".repeat(64)).expect("path").is_none());
    assert_eq!(f.audio.len(), MB / 2);
}

#[tokio::test]
async fn budget_policy_and_lru_eviction() {
    let f = fixture().await;
    let opts = NetOptions::default();
    // Too small for the pinned set: refused, nothing pinned.
    f.core.set_media_budget(MB as u64).expect("budget");
    let err = f
        .core
        .pin_cards(&ids(&["card-00000", "card-00001"]), &opts)
        .await
        .expect_err("budget");
    assert!(
        matches!(err, Error::Content(ContentError::BudgetExceeded { .. })),
        "{err:?}"
    );
    assert_eq!(f.core.media_status().expect("st").pinned_cards, 0);

    // Wi-Fi only on a metered link: refused.
    f.core
        .set_network_policy(NetworkPolicy::WifiOnly)
        .expect("policy");
    f.core.set_network_state(true).expect("metered");
    let err = f
        .core
        .pin_cards(&ids(&["card-00001"]), &opts)
        .await
        .expect_err("metered");
    assert!(
        matches!(err, Error::Content(ContentError::NetworkPolicy(_))),
        "{err:?}"
    );
    f.core.set_network_state(false).expect("wifi");

    // Unpinned media is evicted to make room; pinned media is not.
    let audio_sha = f.core.card("card-00001").expect("c").media[0]
        .sha256
        .clone();
    let video_sha = f.core.card("card-00000").expect("c").media[0]
        .sha256
        .clone();
    f.core.fetch_media(&audio_sha, &opts).await.expect("audio");
    f.core
        .pin_cards(&ids(&["card-00000"]), &opts)
        .await
        .expect("pin video");
    assert!(
        f.core.media_path(&audio_sha).expect("p").is_none(),
        "audio evicted"
    );
    assert!(f.core.media_path(&video_sha).expect("p").is_some());
    let err = f
        .core
        .fetch_media(&audio_sha, &opts)
        .await
        .expect_err("full");
    assert!(
        matches!(err, Error::Content(ContentError::BudgetExceeded { .. })),
        "{err:?}"
    );
    assert!(
        f.core.set_media_budget(1000).is_err(),
        "pinned video would not fit"
    );
    f.core.unpin_cards(&ids(&["card-00000"])).expect("unpin");
    f.core
        .fetch_media(&audio_sha, &opts)
        .await
        .expect("audio fits now");
    assert!(
        f.core.media_path(&video_sha).expect("p").is_none(),
        "video evicted"
    );
}

#[tokio::test]
async fn eviction_takes_the_least_recently_used_first() {
    let f = fixture().await;
    let opts = NetOptions::default();
    let sha = |id: &str| f.core.card(id).expect("card").media[0].sha256.clone();
    let (video, audio, pdf) = (sha("card-00000"), sha("card-00001"), sha("card-00003"));
    f.core
        .set_media_budget((MB + MB / 2) as u64)
        .expect("budget");
    f.core.fetch_media(&audio, &opts).await.expect("audio");
    std::thread::sleep(std::time::Duration::from_millis(20));
    f.core.fetch_media(&pdf, &opts).await.expect("pdf");
    std::thread::sleep(std::time::Duration::from_millis(20));
    // Playing the audio again makes the PDF the least recently used.
    assert!(f.core.media_path(&audio).expect("p").is_some());
    f.core.fetch_media(&video, &opts).await.expect("video");
    assert!(f.core.media_path(&pdf).expect("p").is_none(), "pdf evicted");
    assert!(
        f.core.media_path(&audio).expect("p").is_some(),
        "audio kept"
    );
    assert!(f.core.media_path(&video).expect("p").is_some());
    let st = f.core.media_status().expect("status");
    assert_eq!(st.bytes, (MB + MB / 2) as u64);
}
