import numpy as np, tempfile, time, os, threading
a = np.random.rand(29000*300*2).astype(np.float32)
mv = memoryview(a).cast("B")
n = len(mv)
def one():
    f = tempfile.TemporaryFile(); t = time.perf_counter(); f.write(mv); f.flush(); dt = time.perf_counter()-t; 
    t2=time.perf_counter(); f.seek(0); f.write(mv); f.flush(); dt2=time.perf_counter()-t2; f.close(); return dt, dt2
def two_files():
    fs = [tempfile.TemporaryFile() for _ in range(2)]
    def w(i): fs[i].write(mv[i*n//2:(i+1)*n//2]); fs[i].flush()
    t = time.perf_counter(); th=[threading.Thread(target=w,args=(i,)) for i in range(2)]; [x.start() for x in th]; [x.join() for x in th]; dt=time.perf_counter()-t
    for f in fs: f.close()
    return dt
def two_pwrite():
    f = tempfile.TemporaryFile(); fd=f.fileno()
    def w(i): os.pwrite(fd, mv[i*n//2:(i+1)*n//2], i*n//2)
    t = time.perf_counter(); th=[threading.Thread(target=w,args=(i,)) for i in range(2)]; [x.start() for x in th]; [x.join() for x in th]; dt=time.perf_counter()-t
    f.close(); return dt
def memfd():
    fd = os.memfd_create("x"); t=time.perf_counter(); os.write(fd, mv); dt=time.perf_counter()-t; os.close(fd); return dt
def copy():
    t=time.perf_counter(); b=a.copy(); dt=time.perf_counter()-t; return dt
for r in range(3):
    print("one %.3f/%.3f" % one(), "two_files %.3f" % two_files(), "two_pwrite %.3f" % two_pwrite(), "memfd %.3f" % memfd(), "copy %.3f" % copy())
