//! A simulated disk that loses power: everything synced survives; each write since the
//! last sync survives whole, not at all, or *torn* (a random subset of its 512-byte
//! sectors).

use std::io;
use std::sync::{Arc, Mutex};

use redb::StorageBackend;

const SECTOR: usize = 512;

pub enum Op {
    Write(u64, Vec<u8>),
    SetLen(u64),
}

/// One simulated file.
#[derive(Default)]
pub struct SimFile {
    pub current: Vec<u8>,
    pub durable: Vec<u8>,
    pub pending: Vec<Op>,
}

/// Simulated files that share one power supply.
pub struct Sim {
    pub files: Vec<SimFile>,
    /// Operations left before the power goes; `None` when not armed.
    pub fuse: Option<u64>,
    /// What the files hold after the power loss.
    pub image: Option<Vec<Vec<u8>>>,
    rng: u64,
}

impl Sim {
    fn random(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    fn tick(&mut self) -> io::Result<()> {
        if self.image.is_some() {
            return Err(io::Error::other("the power is off"));
        }
        match self.fuse {
            Some(0) => {
                self.lose_power();
                Err(io::Error::other("power lost"))
            }
            Some(n) => {
                self.fuse = Some(n - 1);
                Ok(())
            }
            None => Ok(()),
        }
    }

    pub fn lose_power(&mut self) {
        let mut images = Vec::new();
        for f in 0..self.files.len() {
            let mut image = self.files[f].durable.clone();
            let pending = std::mem::take(&mut self.files[f].pending);
            for op in &pending {
                let fate = self.random() % 3;
                match op {
                    Op::SetLen(n) if fate != 1 => image.resize(*n as usize, 0),
                    Op::SetLen(_) => {}
                    Op::Write(offset, data) => {
                        let start = *offset as usize;
                        let end = start + data.len();
                        if image.len() < end && fate != 1 {
                            image.resize(end, 0);
                        }
                        let mut pos = start;
                        while pos < end {
                            let next = ((pos / SECTOR) + 1) * SECTOR;
                            let next = next.min(end);
                            let keep = match fate {
                                0 => true,
                                1 => false,
                                _ => self.random() & 1 == 0,
                            };
                            if keep && pos < image.len() {
                                let to = next.min(image.len());
                                image[pos..to].copy_from_slice(&data[pos - start..to - start]);
                            }
                            pos = next;
                        }
                    }
                }
            }
            images.push(image);
        }
        self.image = Some(images);
    }
}

/// One file of a [`Sim`].
#[derive(Clone)]
pub struct SimDisk(Arc<Mutex<Sim>>, usize);

impl std::fmt::Debug for SimDisk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SimDisk")
    }
}

impl SimDisk {
    /// The files of a new simulation, starting from `images`.
    pub fn new(images: Vec<Vec<u8>>, seed: u64) -> Vec<SimDisk> {
        let files = images
            .into_iter()
            .map(|image| SimFile { current: image.clone(), durable: image, pending: Vec::new() })
            .collect::<Vec<_>>();
        let n = files.len();
        let sim = Arc::new(Mutex::new(Sim { files, fuse: None, image: None, rng: seed | 1 }));
        (0..n).map(|i| SimDisk(sim.clone(), i)).collect()
    }

    pub fn sim(&self) -> std::sync::MutexGuard<'_, Sim> {
        self.0.lock().expect("sim lock")
    }
}

impl StorageBackend for SimDisk {
    fn len(&self) -> io::Result<u64> {
        Ok(self.sim().files[self.1].current.len() as u64)
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        let sim = self.sim();
        let start = offset as usize;
        let file = &sim.files[self.1];
        let src = file.current.get(start..start + out.len()).ok_or(io::ErrorKind::UnexpectedEof)?;
        out.copy_from_slice(src);
        Ok(())
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        let mut sim = self.sim();
        sim.tick()?;
        let file = &mut sim.files[self.1];
        file.current.resize(len as usize, 0);
        file.pending.push(Op::SetLen(len));
        Ok(())
    }

    fn sync_data(&self) -> io::Result<()> {
        let mut sim = self.sim();
        sim.tick()?;
        let file = &mut sim.files[self.1];
        file.durable = file.current.clone();
        file.pending.clear();
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let mut sim = self.sim();
        sim.tick()?;
        let file = &mut sim.files[self.1];
        let start = offset as usize;
        if file.current.len() < start + data.len() {
            file.current.resize(start + data.len(), 0);
        }
        file.current[start..start + data.len()].copy_from_slice(data);
        file.pending.push(Op::Write(offset, data.to_vec()));
        Ok(())
    }
}
