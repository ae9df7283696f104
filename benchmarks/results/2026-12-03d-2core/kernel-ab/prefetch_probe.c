#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
/* row RMW: row += 0.001*h, dot with h, like a training pair */
#define RUN(NAME, PF) \
static double NAME(float*W,int D,const int*idx,long n,int dist){ float h[512]; for(int j=0;j<D;j++)h[j]=0.001f; float s=0; double t=now(); \
 for(long i=0;i<n;i++){ if(dist&&i+dist<n){const char*p=(const char*)(W+(long)idx[i+dist]*D); PF;} float*r=W+(long)idx[i]*D; float a=0; for(int j=0;j<D;j++){a+=r[j]*h[j];} for(int j=0;j<D;j++) r[j]+=a*1e-6f*h[j]; s+=a;} \
 t=now()-t; if(s==12345)printf("x"); return t/n*1e9;}
RUN(t0, for(int b=0;b<D*4;b+=64)_mm_prefetch(p+b,_MM_HINT_T0))
RUN(t1, for(int b=0;b<D*4;b+=64)_mm_prefetch(p+b,_MM_HINT_T1))
RUN(t2, for(int b=0;b<D*4;b+=64)_mm_prefetch(p+b,_MM_HINT_T2))
RUN(pw, for(int b=0;b<D*4;b+=64)__builtin_prefetch(p+b,1,3))
RUN(first2, _mm_prefetch(p,_MM_HINT_T0);_mm_prefetch(p+64,_MM_HINT_T0))
RUN(none, (void)p)
int main(int argc,char**argv){ int D=atoi(argv[1]); long V=atol(argv[2]); long n=2000000; float*W=aligned_alloc(2<<20,((V*D*4)/(2<<20)+1)*(2<<20)); memset(W,0,V*D*4);
 int*idx=malloc(n*4); srand(1); for(long i=0;i<n;i++) idx[i]=(int)(((unsigned long)rand()*2654435761ul)%V);
 int dists[]={0,2,4,6,8,12};
 for(int rep=0;rep<2;rep++) for(int d=1;d<6;d++){ int dist=dists[d];
  printf("D=%d V=%ld dist=%2d  t0 %.1f t1 %.1f t2 %.1f pw %.1f first2 %.1f none %.1f ns/row\n",D,V,dist,t0(W,D,idx,n,dist),t1(W,D,idx,n,dist),t2(W,D,idx,n,dist),pw(W,D,idx,n,dist),first2(W,D,idx,n,dist),none(W,D,idx,n,0)); }
}
